import { createRequire } from 'node:module';

declare const __ASM_PROM_VERSION__: string | undefined;

/** Inlined by the build; read from package.json when running from source (tests). */
export const VERSION: string =
  typeof __ASM_PROM_VERSION__ === 'string' ? __ASM_PROM_VERSION__ : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
