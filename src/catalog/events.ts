// `portolan catalog events`: a catalog server's recent changes, oldest first, as a table or JSON lines; with
// --follow, every later one as it comes. Entries come from another process: each is checked, a malformed one skipped.
import { z } from "zod/v3";
import { HEALTH } from "../core/model.js";
import type { ChangeEntry } from "./changes.js";
import { CHANGE_HEADER, changeLine, changeRow, formatChanges } from "./format.js";

const ChangeEntrySchema = z.object({
  at: z.string(),
  kind: z.enum(["registered", "deregistered", "health", "updated", "refused"]),
  id: z.string().optional(),
  service: z.string().optional(),
  host: z.string(),
  container: z.string().optional(),
  health: z.enum(HEALTH).optional(),
  from: z.enum(HEALTH).optional(),
  port: z.string().optional(),
  key: z.string().optional(),
  reason: z.string().optional(),
});

/** Calls `onEntry` for each entry, oldest first; with `follow`, until `signal` aborts. */
export type ChangeSource = (onEntry: (entry: unknown) => void, follow: boolean, signal: AbortSignal) => Promise<void>;

export interface EventsOptions {
  source: ChangeSource;
  follow: boolean;
  json: boolean;
  write: (text: string) => void;
  signal: AbortSignal;
}

function checked(raw: unknown): ChangeEntry | undefined {
  const r = ChangeEntrySchema.safeParse(raw);
  return r.success ? (r.data as ChangeEntry) : undefined;
}

export async function printEvents(o: EventsOptions): Promise<void> {
  if (!o.follow) {
    const list: ChangeEntry[] = [];
    await o.source((raw) => {
      const e = checked(raw);
      if (e) list.push(e);
    }, false, o.signal);
    o.write(o.json ? list.map((e) => `${JSON.stringify(e)}\n`).join("") : formatChanges(list));
    return;
  }
  if (!o.json) o.write(changeLine(CHANGE_HEADER));
  await o.source((raw) => {
    const e = checked(raw);
    if (e) o.write(o.json ? `${JSON.stringify(e)}\n` : changeLine(changeRow(e)));
  }, true, o.signal);
}
