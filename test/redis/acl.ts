/**
 * The least an ACL user needs for dual-auth/redis with the default key prefixes
 * (documented in docs/scaling.md): its keys, SET / GET, EVAL for the token
 * cache's lock release (whose script runs GET and DEL), and the client's handshake.
 */
export const ACL_USER_RULES = 'resetkeys ~dual-auth:* resetchannels -@all +set +get +del +eval +evalsha +ping +hello +auth';
