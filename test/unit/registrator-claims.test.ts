// ID claims on one host: the first holder keeps an ID; a refused container is woken when the holder lets it go.
import { describe, expect, it } from "vitest";
import { IdClaims } from "../../src/registrator/claims.js";

describe("IdClaims", () => {
  it("0_first holder keeps the ID; the other is told who holds it", () => {
    const c = new IdClaims();
    expect(c.claim("x", "a", "first")).toBeUndefined();
    expect(c.claim("x", "b", "second")).toBe("first");
    expect(c.claim("x", "a", "first")).toBeUndefined();
  });

  it("1_releasing an ID wakes the containers refused it", () => {
    const c = new IdClaims();
    c.claim("x", "a", "first");
    c.claim("x", "b", "second");
    expect(c.release("a", new Set(["x"]))).toEqual([]);
    expect(c.release("a")).toEqual(["b"]);
    expect(c.claim("x", "b", "second")).toBeUndefined();
  });

  it("2_a refused container keeps waiting while it runs, stops waiting when gone", () => {
    const c = new IdClaims();
    c.claim("x", "a", "first");
    c.claim("x", "b", "second");
    c.release("b");
    expect(c.release("a")).toEqual(["b"]);
    c.claim("y", "a", "first");
    c.claim("y", "b", "second");
    c.release("b", new Set(), true);
    expect(c.release("a")).toEqual([]);
  });

  it("3_holders lists containers holding an ID", () => {
    const c = new IdClaims();
    c.claim("x", "a", "first");
    c.claim("y", "b", "second");
    c.release("b");
    expect(c.holders()).toEqual(["a"]);
  });
});
