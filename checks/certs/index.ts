import type { Check } from '../../src/core/check.js';
import chain from './chain.js';
import files from './files.js';
import identity from './identity.js';
import keyMatch from './key-match.js';
import meshRoot from './mesh-root.js';
import parse from './parse.js';
import validity from './validity.js';

export const certsChecks: Check[] = [files, parse, keyMatch, validity, chain, meshRoot, identity];
