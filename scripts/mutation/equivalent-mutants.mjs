/**
 * Surviving mutants judged equivalent (no test can tell them from the original), each with
 * the reason. scripts/mutation/check-scores.mjs leaves them out of the module's score and
 * prints them; an entry that matches no surviving mutant fails the check, so the list stays true.
 *
 * An entry names one mutant:
 *   file         the source file (as in the report: 'src/jwt/compact.ts')
 *   mutator      Stryker's mutator name ('EqualityOperator', 'ConditionalExpression', ...)
 *   original     the original code of the mutated node (exact text, as the report shows it)
 *   replacement  the mutated code (exact text, as the report shows it)
 *   reason       why no behaviour can tell them apart
 *
 * Filled in phase 2 of issue 16, as the full runs find them. Grouped by module (one comment line
 * heads each group, in the order of scripts/mutation/modules.mjs): add an entry at the end of its
 * module's group only, so parallel edits of different modules never touch the same lines.
 */
/** @type {Array<{ file: string, mutator: string, original: string, replacement: string, reason: string }>} */
export const EQUIVALENT_MUTANTS = [
  // --- jwt ---
  // --- verify ---
  // --- session ---
  {
    file: 'src/session/token-request.ts',
    mutator: 'ConditionalExpression',
    original: 'logger !== silentLogger',
    replacement: 'true',
    reason: 'Only decides whether log objects are built: for the silent logger they are built and dropped by its no-op methods; nothing else reads them.',
  },
  {
    file: 'src/session/token-request.ts',
    mutator: 'OptionalChaining',
    original: 'signal?.reason',
    replacement: 'signal.reason',
    reason: "Both in cachedToken's aborted(): it is called only when signal?.aborted is true or by untilAborted(pending, signal, aborted), i.e. always with a signal.",
  },
  // --- adapters ---
  {
    file: 'src/adapters/config-input.ts',
    mutator: 'ConditionalExpression',
    original: 'value !== undefined',
    replacement: 'true',
    reason: 'An undefined value stored first is overwritten by the next name for the field (the same test, merged[camel] === undefined, still holds), and a field left undefined is skipped the same way afterwards.',
  },
  // --- http ---
  {
    file: 'src/http/errors.ts',
    mutator: 'ConditionalExpression',
    original: 'hint === undefined',
    replacement: 'false',
    reason: "{ hint: undefined } and no hint key are the same to DualAuthError: it reads options.hint ?? the cause's hint, and sets the property only when defined.",
  },
  {
    file: 'src/http/retry-policy.ts',
    mutator: 'ConditionalExpression',
    original: '!headers',
    replacement: 'false',
    reason: 'Without headers the for-in loop that follows iterates nothing and returns false too; the early return only skips it.',
  },
  {
    file: 'src/http/loopback.ts',
    mutator: 'ConditionalExpression',
    original: "typeof url === 'string'",
    replacement: 'true',
    reason: 'new URL(aUrlObject) parses its href into an equal URL; endpointKind only reads protocol and hostname.',
  },
  // --- api ---
  // --- config ---
  // --- secrets ---
  // --- domain ---
  // --- middleware ---
  // --- redis ---
  // --- mcp ---
];
