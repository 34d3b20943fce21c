// The live page's files, built by `npm run build` (scripts/build-page.mjs: esbuild bundles src/catalog/page/app.ts)
// into dist/src/catalog/page/ beside this module, and read once at start-up. Nothing comes from a CDN.
import { readFile } from "node:fs/promises";

export interface PageAssets {
  html: Buffer;
  js: Buffer;
}

/** The built page, or undefined when this runs from sources that were not built. */
export async function loadPage(dir = new URL("./page/", import.meta.url)): Promise<PageAssets | undefined> {
  try {
    const [html, js] = await Promise.all([readFile(new URL("index.html", dir)), readFile(new URL("app.js", dir))]);
    return { html, js };
  } catch {
    return undefined;
  }
}
