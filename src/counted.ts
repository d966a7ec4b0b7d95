/** A number as people read it: 12,345. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 error", "2 errors": a count with its noun. */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
