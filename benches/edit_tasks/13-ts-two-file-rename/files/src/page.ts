import { fmtDate } from "./dates";

export function footer(updated: Date): string {
  return `Last updated ${fmtDate(updated)}`;
}
