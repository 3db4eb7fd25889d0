import { useState } from 'preact/hooks';

/** An address with a button that copies it (and says so). */
export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = `copy-${label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="copy-field">
      <label for={id}>{label}</label>
      <input id={id} readOnly value={value} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <button
        type="button"
        onClick={async () => {
          await navigator.clipboard?.writeText(value).catch(() => {});
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
