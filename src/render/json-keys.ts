// JSON.parse keeps the last of two equal keys in one object without a word; a YAML spec with the same mistake is
// refused ("Map keys must be unique"). This finds the first duplicate key in text JSON.parse already accepted.

/** The first key that appears twice in one object of valid JSON `text`, with its 1-based line, or undefined. */
export function firstDuplicateKey(text: string): { key: string; line: number } | undefined {
  // One frame per open object (its keys so far, and whether the next string is a key) or array (null).
  const stack: Array<{ keys: Set<string>; expectKey: boolean } | null> = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") line++;
    else if (c === "{") stack.push({ keys: new Set(), expectKey: true });
    else if (c === "[") stack.push(null);
    else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    } else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === "\\") i++;
      const top = stack[stack.length - 1];
      if (top?.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) return { key, line };
        top.keys.add(key);
        top.expectKey = false;
      }
    }
  }
  return undefined;
}
