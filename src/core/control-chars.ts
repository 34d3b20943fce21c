// C0 and C1 control characters, refused in every text a backend stores and in every setting read from the
// environment. A module of its own: a URI or a flag is checked without loading the model and its checks.

/** C0 and C1 control characters (CR, LF, NUL, ESC…): refused in every text a backend stores. */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
