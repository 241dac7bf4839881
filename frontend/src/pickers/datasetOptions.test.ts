import { describe, expect, it } from 'vitest';
import type { DatasetVersion } from '../api/types';
import { datasetSearchText, unresolvedDataset } from './pickerOptions';

const v = (name: string, version: number, id: string): DatasetVersion => ({
  id: id.padEnd(64, '0'),
  name,
  team: 'default',
  version,
  ref: `${name}:v${version}`,
  format: 'text',
  records: 1,
  sizeBytes: 1,
  source: 'upload:a.txt',
  createdAt: '2026-11-01T10:00:00Z',
  createdBy: 'ana',
  aliases: [],
  files: [],
});

describe('dataset references in the picker', () => {
  const versions = [v('corpus', 2, 'abcdef12aa'), v('corpus', 1, 'abcdef12bb')];
  const aliases = [
    { name: 'prod', artifactId: versions[1].id, updatedAt: '2026-11-02T00:00:00Z', updatedBy: 'ana' },
  ];

  it('searches by the name part of name:vN and name@alias', () => {
    expect(datasetSearchText('corpus:v3')).toBe('corpus');
    expect(datasetSearchText(' corpus@prod ')).toBe('corpus');
    expect(datasetSearchText('abcdef12')).toBe('abcdef12');
  });

  it('resolves what the server resolves and says why it would refuse the rest', () => {
    expect(unresolvedDataset('corpus', versions, aliases, false)).toBeNull();
    expect(unresolvedDataset('corpus:v1', versions, aliases, false)).toBeNull();
    expect(unresolvedDataset('corpus@prod', versions, aliases, false)).toBeNull();
    expect(unresolvedDataset('abcdef12a', versions, aliases, false)).toBeNull();
    expect(unresolvedDataset('corpus:v3', versions, aliases, false)).toBe(
      "no dataset 'corpus' with version 3",
    );
    expect(unresolvedDataset('abcdef12', versions, aliases, false)).toBe(
      "'abcdef12' is ambiguous: it matches 2 dataset versions; give more of the hash",
    );
    expect(unresolvedDataset('corpus@staging', versions, aliases, false)).toBe(
      "no alias 'staging' on a dataset",
    );
    // A full page proves nothing: the server decides.
    expect(unresolvedDataset('corpus:v3', versions, aliases, true)).toBeNull();
  });
});
