// The line the loader process prints on stderr when the load begins.
export const LOAD_STARTED = 'bench-loader:started';
