/** The resource-server side: verify dual-subject tokens. */
export { createDualSubjectVerifier, verifyDualSubjectToken, DEFAULT_CLOCK_TOLERANCE_SECONDS } from './verifier.js';
export { computeAth } from '../jwt/ath.js';
export { httpStatusFor } from './errors.js';
export { bearerToken, bearerErrorResponse, headerValue, type BearerErrorResponse, type ChallengeOptions } from './bearer.js';
export { DEFAULT_ALGORITHMS } from './keys.js';
export { PROFILES, type VendorProfile } from './profiles.js';
export type {
  AgentIdentity,
  AuthorizeCallback,
  DualSubjectIdentity,
  DualSubjectVerifier,
  HumanIdentity,
  TokenLayout,
  Vendor,
  VerifyCallOptions,
  VerifyKey,
  VerifyOptions,
} from './types.js';
