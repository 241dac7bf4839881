import type { Artifact } from '../api/types';

export type ArtifactFile = Artifact['files'][number];

/** A folder of an artifact's files: its path ('' for the top), and the files directly in it. */
export interface Folder {
  path: string;
  files: ArtifactFile[];
  bytes: number;
}

const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Files grouped by folder, folders and files by path; `filter` keeps paths containing it (any case). */
export function foldersOf(files: ArtifactFile[], filter = ''): Folder[] {
  const q = filter.trim().toLowerCase();
  const by = new Map<string, ArtifactFile[]>();
  for (const f of files) {
    if (q && !f.path.toLowerCase().includes(q)) continue;
    const dir = folderOf(f.path);
    let list = by.get(dir);
    if (!list) by.set(dir, (list = []));
    list.push(f);
  }
  return [...by.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, list]) => ({
      path,
      files: list.sort((a, b) => a.path.localeCompare(b.path)),
      bytes: list.reduce((n, f) => n + f.sizeBytes, 0),
    }));
}

// sha256sum reads "<hash>  <name>" per line; a name with a newline or a backslash needs its escaped
// form, which no checkpoint has, so those are left out of the check rather than written wrong.
const checkable = (f: ArtifactFile) => !/[\n\\]/.test(f.path);
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The line that checks one downloaded file where the browser saved it (under its base name). */
export function fileCheckCommand(f: ArtifactFile): string {
  return `echo ${quote(`${f.sha256}  ${baseName(f.path)}`)} | sha256sum -c`;
}

/** The command that checks every file of the whole-artifact tar, run where it was extracted. */
export function archiveCheckCommand(files: ArtifactFile[]): string {
  const lines = files.filter(checkable).map((f) => `${f.sha256}  ${f.path}`);
  return `sha256sum -c <<'EOF'\n${lines.join('\n')}\nEOF`;
}
