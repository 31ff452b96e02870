/** A button that copies a text, and says so in a live region. */
import { useEffect, useState } from 'preact/hooks';

/** The clipboard API where the page may use it (https, localhost), else the older copy command. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState('');
  useEffect(() => {
    if (said === '') return undefined;
    const t = setTimeout(() => setSaid(''), 3000);
    return () => clearTimeout(t);
  }, [said]);
  return (
    <span class="copy">
      <button type="button" class="secondary" onClick={async () => setSaid((await copyText(text)) ? 'Copied.' : 'Copy failed: select the text and copy it.')}>
        {label}
      </button>
      <span role="status" class="copy-status">{said}</span>
    </span>
  );
}
