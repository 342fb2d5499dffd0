import { type ReactNode, useEffect, useId, useRef, useState } from 'react';

export interface ConfirmButtonProps {
  /** The trigger's text, e.g. "Destroy group". */
  children: ReactNode;
  /** The question asked before acting, e.g. "Destroy group workers on spool:completed?". */
  question: string;
  /** Text of the confirming button. @default "Confirm" */
  confirmLabel?: string;
  /** Text of the button that backs out (when the action itself is a "cancel"). @default "Cancel" */
  dismissLabel?: string;
  /** Classes of the trigger. @default "btn btn-danger" */
  className?: string;
  onConfirm(): void;
  disabled?: boolean;
  /** Accessible name of the trigger when its text alone is ambiguous in a list. */
  ariaLabel?: string;
}

/**
 * A destructive action asked first: the trigger opens an inline alert dialog; Escape or
 * "Cancel" closes it and gives focus back to the trigger.
 *
 * @example
 * <ConfirmButton question="Destroy group workers?" onConfirm={() => destroy.mutate(...)}>Destroy group</ConfirmButton>
 */
export function ConfirmButton({
  children,
  question,
  confirmLabel = 'Confirm',
  dismissLabel = 'Cancel',
  className = 'btn btn-danger',
  onConfirm,
  disabled,
  ariaLabel,
}: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const questionId = useId();
  const triggerRef = useRef<HTMLButtonElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const restoreFocus = useRef(false);

  useEffect(() => {
    // Focus the safe choice first, so a stray Enter does not destroy anything; on close,
    // hand focus back to the trigger so keyboard users keep their place.
    if (open) cancelRef.current?.focus();
    else if (restoreFocus.current) {
      restoreFocus.current = false;
      triggerRef.current?.focus();
    }
  }, [open]);

  const close = () => {
    restoreFocus.current = true;
    setOpen(false);
  };

  if (!open) {
    return (
      <button
        ref={triggerRef}
        type="button"
        className={className}
        disabled={disabled}
        aria-label={ariaLabel}
        onClick={() => setOpen(true)}
      >
        {children}
      </button>
    );
  }
  return (
    <div
      className="confirm"
      role="alertdialog"
      aria-modal="false"
      aria-labelledby={questionId}
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
    >
      <span id={questionId} className="confirm-question">
        {question}
      </span>
      <button ref={cancelRef} type="button" className="btn" onClick={close}>
        {dismissLabel}
      </button>
      <button
        type="button"
        className="btn btn-danger"
        onClick={() => {
          setOpen(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
    </div>
  );
}
