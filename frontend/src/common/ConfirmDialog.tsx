import { useEffect, useRef } from 'react';

interface Props {
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  danger?: boolean;
}

/** Inline confirmation: focus lands on the confirm button, Escape or "Keep" backs out. */
export function ConfirmDialog({ question, confirmLabel, onConfirm, onCancel, danger }: Props) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => confirm.current?.focus(), []);
  return (
    <div
      className="confirm"
      role="alertdialog"
      aria-label={question}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
    >
      <span className="confirm-question">{question}</span>
      <button ref={confirm} className={danger ? 'danger' : 'primary'} onClick={onConfirm}>
        {confirmLabel}
      </button>
      <button onClick={onCancel}>Keep as is</button>
    </div>
  );
}
