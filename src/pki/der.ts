/**
 * The few facts of an X.509 certificate that Node's X509Certificate does not expose and OpenSSL's
 * chain verification reads (x509v3_cache_extensions): the version, the names as encoded, the serial,
 * the signature algorithm, and each extension with its criticality (basicConstraints' cA and
 * pathLenConstraint, keyUsage bits, extendedKeyUsage OIDs, Netscape cert type, the key
 * identifiers). A minimal DER reader: certificates come from X509Certificate, which has parsed them.
 */

interface Tlv {
  tag: number;
  /** the whole element, tag and length included */
  raw: Buffer;
  /** the contents */
  value: Buffer;
}

function readTlv(buf: Buffer, offset: number): Tlv & { end: number } {
  const tag = buf[offset]!;
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + buf[start + i]!;
    start += bytes;
  }
  const end = start + length;
  if (end > buf.length) throw new Error('truncated DER');
  return { tag, raw: buf.subarray(offset, end), value: buf.subarray(start, end), end };
}

function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < value.length;) {
    const tlv = readTlv(value, offset);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function oid(value: Buffer): string {
  const parts: number[] = [Math.floor(value[0]! / 40), value[0]! % 40];
  let n = 0;
  for (const byte of value.subarray(1)) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

/** A BIT STRING's bits, bit 0 first (as X.509 numbers keyUsage and nsCertType bits). */
function bits(value: Buffer): (bit: number) => boolean {
  const data = value.subarray(1);
  return (bit) => Boolean(data[bit >> 3]! & (0x80 >> (bit & 7)));
}

export const OID = {
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  nameConstraints: '2.5.29.30',
  nsCertType: '2.16.840.1.113730.1.1',
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
} as const;

/** X509_supported_extension (OpenSSL 3.0): a critical extension outside this list fails verification. */
export const SUPPORTED_EXTENSIONS = new Set([
  OID.nsCertType, OID.keyUsage, '2.5.29.17', OID.basicConstraints, '2.5.29.32', '2.5.29.31', OID.extKeyUsage,
  '1.3.6.1.5.5.7.1.7', '1.3.6.1.5.5.7.1.8', '1.3.6.1.5.5.7.48.1.5', '2.5.29.36', OID.proxyCertInfo, OID.nameConstraints, '2.5.29.33', '2.5.29.54',
]);

export interface CertFacts {
  /** 1, 2 or 3 */
  version: number;
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  /** the outer signatureAlgorithm OID */
  signatureAlgorithm: string;
  extensions: { oid: string; critical: boolean; value: Buffer }[];
  /** two extensions of one OID */
  duplicateExtension: boolean;
  /**
   * extensions OpenSSL cannot cache (EXFLAG_INVALID): a duplicate, an extension it reads that does
   * not decode, a pathLenConstraint that is negative or without cA
   */
  invalid: boolean;
  basicConstraints?: { ca: boolean; pathLen?: number; pathLenNegative: boolean };
  /** keyUsage bit → set; undefined without the extension */
  keyUsage?: (bit: number) => boolean;
  extKeyUsage?: string[];
  nsCertType?: (bit: number) => boolean;
  subjectKeyId?: Buffer;
  authorityKeyId?: { keyId?: Buffer; issuer?: Buffer; serial?: Buffer };
}

export function certFacts(der: Buffer): CertFacts {
  const [tbs, sigAlg] = children(readTlv(der, 0).value) as [Tlv, Tlv];
  const fields = children(tbs.value);
  let i = 0;
  let version = 1;
  if (fields[0]!.tag === 0xa0) {
    version = readTlv(fields[0]!.value, 0).value[0]! + 1;
    i = 1;
  }
  const serial = fields[i]!.value;
  const issuer = fields[i + 2]!.raw;
  const subject = fields[i + 4]!.raw;
  const facts: CertFacts = {
    version, serial, issuer, subject,
    signatureAlgorithm: oid(children(sigAlg.value)[0]!.value),
    extensions: [],
    duplicateExtension: false,
    invalid: false,
  };
  const extsField = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  if (!extsField) return facts;
  for (const ext of children(readTlv(extsField.value, 0).value)) {
    const parts = children(ext.value);
    const id = oid(parts[0]!.value);
    const critical = parts.length === 3 && parts[1]!.tag === 0x01 && parts[1]!.value[0] !== 0;
    const value = parts[parts.length - 1]!.value;
    if (facts.extensions.some((e) => e.oid === id)) facts.duplicateExtension = facts.invalid = true;
    facts.extensions.push({ oid: id, critical, value });
    try {
      readExtension(facts, id, value);
    } catch {
      facts.invalid = true;
    }
  }
  const bc = facts.basicConstraints;
  if (bc && (bc.pathLenNegative || (bc.pathLen !== undefined && !bc.ca))) facts.invalid = true;
  return facts;
}

/** One extension OpenSSL decodes: its value must be exactly one DER element of the expected type. */
function readExtension(facts: CertFacts, id: string, value: Buffer): void {
  const inner = () => {
    const tlv = readTlv(value, 0);
    if (tlv.end !== value.length) throw new Error('trailing bytes');
    return tlv;
  };
  const expect = (tlv: Tlv, tag: number) => {
    if (tlv.tag !== tag) throw new Error('unexpected type');
    return tlv;
  };
  switch (id) {
    case '2.5.29.17': // subjectAltName: GeneralNames, context-tagged choices
      for (const name of children(expect(inner(), 0x30).value)) if ((name.tag & 0xc0) !== 0x80 || (name.tag & 0x1f) > 8) throw new Error('not a GeneralName');
      break;
    case OID.basicConstraints: {
      const items = children(expect(inner(), 0x30).value);
      const ca = items[0]?.tag === 0x01 && items[0].value[0] !== 0;
      const int = items.find((t) => t.tag === 0x02);
      facts.basicConstraints = {
        ca,
        pathLen: int ? int.value.reduce((n, b) => n * 256 + b, 0) : undefined,
        pathLenNegative: Boolean(int && int.value[0]! & 0x80),
      };
      break;
    }
    case OID.keyUsage:
      facts.keyUsage = bits(expect(inner(), 0x03).value);
      break;
    case OID.nsCertType:
      facts.nsCertType = bits(expect(inner(), 0x03).value);
      break;
    case OID.extKeyUsage:
      facts.extKeyUsage = children(expect(inner(), 0x30).value).map((t) => oid(expect(t, 0x06).value));
      break;
    case OID.subjectKeyIdentifier:
      facts.subjectKeyId = expect(inner(), 0x04).value;
      break;
    case OID.authorityKeyIdentifier: {
      const aki: NonNullable<CertFacts['authorityKeyId']> = {};
      for (const t of children(expect(inner(), 0x30).value)) {
        if (t.tag === 0x80) aki.keyId = t.value;
        else if (t.tag === 0xa1) aki.issuer = t.value;
        else if (t.tag === 0x82) aki.serial = t.value;
      }
      facts.authorityKeyId = aki;
      break;
    }
  }
}

/** The directoryName of an AKI's authorityCertIssuer (GeneralNames), as a Name's DER. */
export function directoryNameOf(generalNames: Buffer): Buffer | undefined {
  const dir = children(generalNames).find((t) => t.tag === 0xa4);
  return dir ? readTlv(dir.value, 0).raw : undefined;
}
