/**
 * A strict little XML parser for tests: enough to prove an SVG string is
 * well-formed (balanced tags, quoted attributes, known entities, no stray
 * '<' or '&') and to look inside it. Not a general XML library.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text directly inside this element. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => { throw new Error(`XML error at ${i}: ${msg} near ${JSON.stringify(src.slice(Math.max(0, i - 30), i + 30))}`); };
  const decode = (s: string): string => s.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) fail(`bare '&'`);
    if (body in ENTITIES) return ENTITIES[body]!;
    const code = /^#(\d+)$/.exec(body)?.[1] ?? (/^#x([0-9a-f]+)$/i.exec(body) ? String(parseInt(body.slice(2), 16)) : undefined);
    if (code === undefined) fail(`unknown entity &${body};`);
    return String.fromCodePoint(Number(code));
  });
  const name = (): string => {
    const m = /^[A-Za-z_][\w.:-]*/.exec(src.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const skipWs = (): void => { while (/\s/.test(src[i] ?? '')) i++; };

  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < src.length) {
    if (src.startsWith('<!--', i)) { const e = src.indexOf('-->', i); if (e < 0) fail('open comment'); i = e + 3; continue; }
    if (src.startsWith('<?', i)) { const e = src.indexOf('?>', i); if (e < 0) fail('open declaration'); i = e + 2; continue; }
    if (src.startsWith('</', i)) {
      i += 2;
      const n = name();
      skipWs();
      if (src[i] !== '>') fail('expected >');
      i++;
      const open = stack.pop();
      if (!open || open.name !== n) fail(`</${n}> closes <${open?.name}>`);
      continue;
    }
    if (src[i] === '<') {
      i++;
      const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
      for (;;) {
        skipWs();
        if (src.startsWith('/>', i)) { i += 2; break; }
        if (src[i] === '>') { i++; stack.push(el); break; }
        const a = name();
        skipWs();
        if (src[i] !== '=') fail(`attribute ${a} without a value`);
        i++;
        skipWs();
        const q = src[i];
        if (q !== '"' && q !== "'") fail(`attribute ${a} not quoted`);
        const end = src.indexOf(q!, i + 1);
        if (end < 0) fail('unterminated attribute');
        const raw = src.slice(i + 1, end);
        if (raw.includes('<')) fail(`'<' in attribute ${a}`);
        if (a in el.attrs) fail(`duplicate attribute ${a}`);
        el.attrs[a] = decode(raw);
        i = end + 1;
      }
      const parent = stack[stack.length - (stack[stack.length - 1] === el ? 2 : 1)];
      if (parent) parent.children.push(el);
      else if (root) fail('second root element');
      else root = el;
      continue;
    }
    const next = src.indexOf('<', i);
    const text = src.slice(i, next < 0 ? src.length : next);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root');
    if (stack.length > 0) stack[stack.length - 1]!.text += decode(text);
    i = next < 0 ? src.length : next;
  }
  if (stack.length) fail(`<${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

export function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

export function allText(el: XmlElement): string[] {
  return [...walk(el)].map((e) => e.text).filter((t) => t !== '');
}
