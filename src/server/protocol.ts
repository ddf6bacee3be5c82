// The wire contract moved to src/protocol.ts (neutral: the extension and the webview import it, not the service).
// Kept only so files not yet switched keep building; import from '../protocol' instead.
export * from '../protocol';
