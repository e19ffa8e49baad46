/** PKI for the doctor: PEM reading, certificate facts, and the OpenSSL verdict on chains. */
export { PemError, parseCertificates, parsePrivateKey, pemBlocks, type PemBlock } from './pem.js';
export {
  describeCertificate, distinguishedName, formatDuration, isIssuedBy, isSelfSigned, keyTypeOf, lifetimeUsedPercent,
  notAfter, notBefore, parseSpiffeId, sameAnchor, spiffeId, spiffeIdOf, validityAt, type SpiffeParts,
} from './inspect.js';
export { chosenVerifier, verifyChain, type ChainError, type ChainInput, type ChainVerdict, type ChainVerifier } from './verify.js';
