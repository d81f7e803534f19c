/**
 * Stryker ignorer "log-lines": mutants that can only change what a log line says, or whether
 * it is written, are not tests of behaviour (issue 16 allows ignoring them by a named rule).
 * The rule ignores exactly:
 * - a call `logger.<level>(...)`, `this.logger.<level>(...)` or `<x>.logger.<level>(...)`
 *   (level debug, info, warn or error), with every mutant inside its arguments;
 * - a block whose statements are all such calls (emptying it only drops log lines);
 * - an `if` without `else` whose branch is such a block or call (its condition only decides
 *   whether to log).
 * What may appear in a log line (no token, email or name) is not left to this rule: the
 * helpers that shape logged values (humanIdForLogging, actForLogging, urlForLogging) are
 * outside log calls and mutated as usual, and test/helpers/log-audit.ts checks every line.
 */
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** True for `logger.info(...)`, `this.logger.warn(...)`, `settings.logger.error(...)`. */
function isLogCall(node) {
  if (node?.type !== 'CallExpression' || node.callee.type !== 'MemberExpression' || node.callee.computed) return false;
  const { object, property } = node.callee;
  if (property.type !== 'Identifier' || !LEVELS.has(property.name)) return false;
  if (object.type === 'Identifier') return object.name === 'logger';
  return object.type === 'MemberExpression' && !object.computed && object.property.type === 'Identifier' && object.property.name === 'logger';
}

function isLogStatement(node) {
  return node?.type === 'ExpressionStatement' && isLogCall(node.expression);
}

function isLogOnlyBlock(node) {
  return node?.type === 'BlockStatement' && node.body.length > 0 && node.body.every(isLogStatement);
}

export const logLinesIgnorer = {
  shouldIgnore(path) {
    const node = path.node;
    if (isLogCall(node)) return 'log-lines: a log call; its mutants only change what a log line says';
    if (isLogOnlyBlock(node)) return 'log-lines: a block of log calls only; emptying it only drops log lines';
    if (node.type === 'IfStatement' && node.alternate == null && (isLogOnlyBlock(node.consequent) || isLogStatement(node.consequent))) {
      return 'log-lines: an if that only decides whether to log';
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'log-lines', logLinesIgnorer)];
