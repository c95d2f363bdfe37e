/**
 * The XML AWS's Query APIs answer with. A value renders as: object → child elements (keys
 * in order, undefined skipped), array → `<item>` children (empty: `<name/>`), Date → ISO 8601.
 */
export type XmlValue = string | number | boolean | Date | undefined | XmlValue[] | { [k: string]: XmlValue };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function element(name: string, v: XmlValue, itemName = 'item'): string {
  if (v === undefined) return '';
  const inner = content(v, itemName);
  return inner === '' && typeof v === 'object' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

function content(v: XmlValue, itemName: string): string {
  if (v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => element(itemName, x, itemName)).join('');
  if (typeof v === 'object') {
    let out = '';
    for (const [k, x] of Object.entries(v)) out += element(k, x, itemName);
    return out;
  }
  return escapeXml(String(v));
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** The elements of an object, without a wrapping element (a response body's content). */
export function children(v: Record<string, XmlValue>): string {
  return content(v, 'item');
}
