import type { ReactNode } from 'react';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      {what}…
    </p>
  );
}

export function ErrorBox({ error, title }: { error: Error; title?: string }) {
  return (
    <div className="banner banner-error" role="alert">
      {title && <strong>{title}: </strong>}
      {error.message}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
