// The signed-in user and the current screen's cleanup hook (closing event streams, timers).
export const session = { user: null, cleanup: null, onChange: null };
