/**
 * No file the project tracks keeps a merge-conflict marker: several engineers land on one branch,
 * and a half-resolved merge in a Markdown page type-checks and builds (one reached docs/differences.md).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const MARKER = /^(<{7}|>{7})( |$)|^={7}$/m;

describe('merge-conflict markers', () => {
  it('no tracked text file has one', () => {
    const files = execFileSync('git', ['ls-files', '-z', '--', '*.md', '*.ts', '*.mts', '*.cts', '*.js', '*.mjs', '*.cjs', '*.json', '*.yml', '*.yaml', '*.sh', '.ci/run', '.env.example'], { encoding: 'utf8' })
      .split('\0')
      .filter((file) => file.length > 0);
    expect(files.length).toBeGreaterThan(50);
    const marked = files.filter((file) => MARKER.test(readFileSync(file, 'utf8')));
    expect(marked).toEqual([]);
  });
});
