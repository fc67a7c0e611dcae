/** JSON-pointer paths (RFC 6901) as the merge names the nodes of a document. */

/** The path of the document's root. */
export const ROOT_PATH = "";

export function escapeSegment(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

export function unescapeSegment(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

export function childPath(parent: string, segment: string): string {
  return `${parent}/${escapeSegment(segment)}`;
}

/** The unescaped segments of a path; `""` is the root, with none. Anything else must start with `/`. */
export function splitPath(path: string): string[] | undefined {
  if (path === ROOT_PATH) return [];
  if (!path.startsWith("/")) return undefined;
  return path.slice(1).split("/").map(unescapeSegment);
}

export function isPathWithin(path: string, ancestor: string): boolean {
  return path.startsWith(`${ancestor}/`);
}
