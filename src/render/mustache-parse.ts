// Mustache template -> token tree, the same tree (and the same errors) as mustache.js's Mustache.parse, in memory
// proportional to the template. mustache.js makes one token (an array and a string) per character of text before
// merging them, about 170 bytes per template byte at peak: a 1 MiB template took 215 MB, a 46 MB one 4.7 GB. Here
// text is cut into runs (words, and whitespace up to and including a newline), which is all the standalone-line
// rule needs: a line holding only section/comment/delimiter tags and whitespace loses its whitespace and newline.
// test/unit/render-mustache-parse.test.ts checks the tree against Mustache.parse on generated templates.

/** [type, value, start, end, children?, sectionEnd?]; a partial (`>`) carries indentation data at 4..6 instead. */
export type Token = [string, string, number, number, Token[]?, number?];

const escapeRe = (s: string) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, "\\$&");

interface Tags {
  open: RegExp;
  close: RegExp;
  closeCurly: RegExp;
}

function compileTags(spec: string | [string, string]): Tags {
  const tags = typeof spec === "string" ? spec.split(/\s+/, 2) : spec;
  if (tags.length !== 2) throw new Error(`Invalid tags: ${String(spec)}`);
  return {
    open: new RegExp(`${escapeRe(tags[0]!)}\\s*`, "g"),
    close: new RegExp(`\\s*${escapeRe(tags[1]!)}`, "g"),
    closeCurly: new RegExp(`\\s*${escapeRe(`}${tags[1]!}`)}`, "g"),
  };
}

/** A cursor over the template: `scan` matches only at the cursor, `scanUntil` consumes up to the next match (or all). */
class Scanner {
  pos = 0;
  constructor(private readonly src: string) {}
  eos(): boolean {
    return this.pos >= this.src.length;
  }
  scan(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m || m.index !== this.pos) return "";
    this.pos += m[0].length;
    return m[0];
  }
  scanUntil(re: RegExp): string {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    const end = m ? m.index : this.src.length;
    const out = this.src.slice(this.pos, end);
    this.pos = end;
    return out;
  }
}

const TAG_TYPE = /#|\^|\/|>|\{|&|=|!/g;
const WHITE = /\s*/g;
const EQUALS = /\s*=/g;
const CURLY = /\s*\}/g;

function isSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

/**
 * Deepest section nesting accepted (a limit of its own, not mustache.js's): rendering recurses once per level, and
 * a few thousand levels overflowed the stack (exit 70). Real templates nest a handful.
 */
export const MAX_SECTION_DEPTH = 100;

/** Parses `template` with opening/closing tags `tags`; throws Error with mustache.js's messages. */
export function parseMustache(template: string, tags: [string, string] = ["{{", "}}"]): Token[] {
  const tokens: Array<Token | undefined> = [];
  const sections: Token[] = [];
  let spaces: number[] = [];
  let hasTag = false;
  let nonSpace = false;
  let lineHasNonSpace = false;
  let indentation = "";
  let tagIndex = 0;
  let t = compileTags(tags);

  const stripSpace = () => {
    if (hasTag && !nonSpace) while (spaces.length > 0) tokens[spaces.pop()!] = undefined;
    else spaces = [];
    hasTag = false;
    nonSpace = false;
  };

  const endLine = () => {
    stripSpace();
    indentation = "";
    tagIndex = 0;
    lineHasNonSpace = false;
  };

  // Whitespace runs before anything else on a line may be removed (standalone tags); once the line has content,
  // the rest of it up to and including its newline stays as it is: one token.
  const pushText = (value: string, start: number) => {
    let i = 0;
    while (i < value.length) {
      let j = i;
      if (nonSpace) {
        const nl = value.indexOf("\n", i);
        j = nl < 0 ? value.length : nl + 1;
        const run = value.slice(i, j);
        if (/\S/.test(run)) lineHasNonSpace = true;
        indentation += run.replace(/\S/g, " ");
        tokens.push(["text", run, start + i, start + j]);
        if (nl >= 0) endLine();
      } else if (isSpace(value.charCodeAt(i))) {
        while (j < value.length && isSpace(value.charCodeAt(j)) && value.charCodeAt(j) !== 10) j++;
        const newline = j < value.length && value.charCodeAt(j) === 10;
        if (newline) j++;
        spaces.push(tokens.length);
        indentation += value.slice(i, j);
        tokens.push(["text", value.slice(i, j), start + i, start + j]);
        if (newline) endLine();
      } else {
        while (j < value.length && !isSpace(value.charCodeAt(j))) j++;
        nonSpace = true;
        lineHasNonSpace = true;
        indentation += " ".repeat(j - i);
        tokens.push(["text", value.slice(i, j), start + i, start + j]);
      }
      i = j;
    }
  };

  const scanner = new Scanner(template);
  while (!scanner.eos()) {
    let start = scanner.pos;
    const text = scanner.scanUntil(t.open);
    if (text) pushText(text, start);
    start = scanner.pos;
    if (!scanner.scan(t.open)) break;
    hasTag = true;
    let type = scanner.scan(TAG_TYPE) || "name";
    scanner.scan(WHITE);
    let value: string;
    if (type === "=") {
      value = scanner.scanUntil(EQUALS);
      scanner.scan(EQUALS);
      scanner.scanUntil(t.close);
    } else if (type === "{") {
      value = scanner.scanUntil(t.closeCurly);
      scanner.scan(CURLY);
      scanner.scanUntil(t.close);
      type = "&";
    } else {
      value = scanner.scanUntil(t.close);
    }
    if (!scanner.scan(t.close)) throw new Error(`Unclosed tag at ${scanner.pos}`);
    const token: Token =
      type === ">" ? ([type, value, start, scanner.pos, indentation, tagIndex, lineHasNonSpace] as unknown as Token) : [type, value, start, scanner.pos];
    tagIndex++;
    tokens.push(token);
    if (type === "#" || type === "^") {
      if (sections.length >= MAX_SECTION_DEPTH) throw new Error(`Sections nested deeper than ${MAX_SECTION_DEPTH} at ${start}`);
      sections.push(token);
    } else if (type === "/") {
      const open = sections.pop();
      if (!open) throw new Error(`Unopened section "${value}" at ${start}`);
      if (open[1] !== value) throw new Error(`Unclosed section "${open[1]}" at ${start}`);
    } else if (type === "name" || type === "&") {
      nonSpace = true;
    } else if (type === "=") {
      t = compileTags(value);
    }
  }
  stripSpace();
  const open = sections.pop();
  if (open) throw new Error(`Unclosed section "${open[1]}" at ${scanner.pos}`);
  return nest(squash(tokens));
}

/** Adjacent text tokens become one (across removed whitespace too, as in mustache.js). */
function squash(tokens: Array<Token | undefined>): Token[] {
  const out: Token[] = [];
  let last: Token | undefined;
  for (const token of tokens) {
    if (!token) continue;
    if (token[0] === "text" && last?.[0] === "text") {
      last[1] += token[1];
      last[3] = token[3];
    } else {
      out.push(token);
      last = token;
    }
  }
  return out;
}

/** Section tokens get their children at [4] and the start of their closing tag at [5]; closing tags disappear. */
function nest(tokens: Token[]): Token[] {
  const root: Token[] = [];
  let collector = root;
  const sections: Token[] = [];
  for (const token of tokens) {
    switch (token[0]) {
      case "#":
      case "^":
        collector.push(token);
        sections.push(token);
        collector = token[4] = [];
        break;
      case "/": {
        const section = sections.pop()!;
        section[5] = token[2];
        collector = sections.length > 0 ? sections[sections.length - 1]![4]! : root;
        break;
      }
      default:
        collector.push(token);
    }
  }
  return root;
}
