import { useState } from 'react';
import { api } from '../api/client';
import { formatBytes } from '../common/format';
import { Empty } from '../common/states';
import { archiveCheckCommand, baseName, fileCheckCommand, foldersOf, type ArtifactFile } from './files';

/**
 * An artifact's files by folder, each downloadable (the API serves byte ranges and an
 * X-Content-SHA256 header), the whole artifact as one tar, and `sha256sum -c` lines to check either.
 */
export function FileBrowser({ id, files, deleted }: { id: string; files: ArtifactFile[]; deleted: boolean }) {
  const [filter, setFilter] = useState('');
  const folders = foldersOf(files, filter);
  if (files.length === 0) return <Empty>No files.</Empty>;
  return (
    <div className="file-browser">
      <div className="toolbar">
        <label>
          Filter files{' '}
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="path"
          />
        </label>
        {!deleted && (
          <a className="button-link small" href={api.artifactArchiveUrl(id)} download>
            Download all (tar)
          </a>
        )}
        <span className="muted small">
          {files.length} files · {formatBytes(files.reduce((n, f) => n + f.sizeBytes, 0))}
        </span>
      </div>
      {folders.length === 0 ? (
        <Empty>No file matches “{filter}”.</Empty>
      ) : (
        <table aria-label="Files">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Size</th>
              <th scope="col">sha256</th>
              <th scope="col">Check</th>
            </tr>
          </thead>
          {folders.map((d) => (
            <tbody key={d.path}>
              {d.path && (
                <tr className="folder-row">
                  <th scope="rowgroup" colSpan={4}>
                    <span aria-hidden="true">▸ </span>
                    {d.path}/{' '}
                    <span className="muted small">
                      {d.files.length} files · {formatBytes(d.bytes)}
                    </span>
                  </th>
                </tr>
              )}
              {d.files.map((f) => (
                <tr key={f.path} data-path={f.path}>
                  <td className={d.path ? 'in-folder' : undefined}>
                    {deleted ? (
                      <code>{baseName(f.path)}</code>
                    ) : (
                      <a href={api.artifactFileUrl(id, f.path)} download aria-label={`Download ${f.path}`}>
                        <code>{baseName(f.path)}</code>
                      </a>
                    )}
                  </td>
                  <td className="num">{formatBytes(f.sizeBytes)}</td>
                  <td>
                    <code className="break small" data-testid="sha256">
                      {f.sha256}
                    </code>
                  </td>
                  <td>
                    <CopyButton text={fileCheckCommand(f)} label={`of ${f.path}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      )}
      <details>
        <summary>Check the whole artifact with sha256sum</summary>
        <p className="small">Run where the tar was extracted:</p>
        <pre className="spec small" data-testid="archive-check">
          {archiveCheckCommand(files)}
        </pre>
        <CopyButton text={archiveCheckCommand(files)} label="of every file" />
      </details>
    </div>
  );
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  // The visible text starts the accessible name (axe label-content-name-mismatch); the outcome is
  // announced apart, so the button's name stays the same.
  return (
    <>
      <button
        type="button"
        className="small"
        onClick={copy}
        aria-label={`Copy sha256sum -c ${label}`}
        title={text}
      >
        Copy sha256sum -c
      </button>
      <span role="status" className="small muted">
        {copied === null ? '' : copied ? ' copied' : ' could not copy: select the text'}
      </span>
    </>
  );
}
