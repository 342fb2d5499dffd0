/** The room is in the page's address (`?room=team`), so a link or a second tab opens the same one. */
export function roomFromLocation(location: { search: string }): string {
  const room = new URLSearchParams(location.search).get('room')?.trim();
  return room ? room.slice(0, 64) : 'lobby';
}
