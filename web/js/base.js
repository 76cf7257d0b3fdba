// Where this page's chat group answers. A page served under /g/NAME/ belongs to chat group NAME
// and talks to /g/NAME/ws and /g/NAME/api/...; anywhere else the server picks the group by host.
const prefix = location.pathname.match(/^\/g\/[a-z0-9][a-z0-9_-]{0,31}\//);

export const basePath = prefix ? prefix[0] : '/';

// apiUrl('api/v1/rooms') or apiUrl('/api/v1/rooms') -> '/g/NAME/api/v1/rooms' under a group.
export function apiUrl(path) {
  return basePath + path.replace(/^\//, '');
}

export function wsUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${basePath}ws`;
}
