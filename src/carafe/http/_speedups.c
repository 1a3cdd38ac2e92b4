/* carafe.http._speedups: compiled leaf functions for carafe/http (optional).
 *
 * Each takes and returns built-in types only, has a pure-Python twin that stays
 * the reference (the tests hold both to the same results), and declines (None or
 * False) what it was not written for, so the Python code keeps every unusual case:
 *   - urlencoded_lists: forms.parse_urlencoded_lists, for request.form and
 *     request.args (Falcon parses these in Cython too);
 *   - headers_ready and encode_headers: a response's header list, checked as WSGI
 *     sends it, encoded as ASGI sends it;
 *   - json_plain: the check that orjson's output is the standard library's.
 *
 * Multi-phase initialisation and no module state: nothing here is shared between
 * interpreters. Carafe works without this module (no C compiler at install, or
 * CARAFE_NO_SPEEDUPS=1 in the environment).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* -- urlencoded bodies ------------------------------------------------------ */

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* One name or value, as forms._unquote_plus(raw.decode("utf-8", "replace")):
 * '+' is a space and "%XX" a byte; runs of ASCII are percent-decoded and read
 * as UTF-8, with bytes that are not UTF-8 escaped again by the
 * "carafe.requote" error handler (forms.py registers it); raw bytes that are
 * not UTF-8 become U+FFFD. ASCII bytes never belong to a multi-byte UTF-8
 * sequence, so decoding run by run is the same as decoding the whole body. */
static PyObject *
unquote_plus(const char *text, Py_ssize_t size)
{
    int ascii = 1, special = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c & 0x80) {
            ascii = 0;
        }
        else if (c == '+' || c == '%') {
            special = 1;
        }
    }
    if (!special) {
        return ascii ? PyUnicode_DecodeASCII(text, size, NULL)
                     : PyUnicode_DecodeUTF8(text, size, "replace");
    }
    char *buffer = PyMem_Malloc(size > 0 ? (size_t)size : 1);
    if (buffer == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *pieces = PyList_New(0);
    PyObject *result = NULL;
    if (pieces == NULL) {
        goto done;
    }
    Py_ssize_t i = 0;
    while (i < size) {
        Py_ssize_t start = i;
        PyObject *piece;
        if ((unsigned char)text[i] & 0x80) {
            while (i < size && ((unsigned char)text[i] & 0x80)) {
                i++;
            }
            piece = PyUnicode_DecodeUTF8(text + start, i - start, "replace");
        }
        else {
            Py_ssize_t length = 0;
            while (i < size && !((unsigned char)text[i] & 0x80)) {
                char c = text[i];
                int high, low;
                if (c == '+') {
                    buffer[length++] = ' ';
                    i++;
                }
                else if (c == '%' && i + 2 < size
                         && (high = hex_value((unsigned char)text[i + 1])) >= 0
                         && (low = hex_value((unsigned char)text[i + 2])) >= 0) {
                    buffer[length++] = (char)(high * 16 + low);
                    i += 3;
                }
                else {
                    buffer[length++] = c;
                    i++;
                }
            }
            piece = PyUnicode_DecodeUTF8(buffer, length, "carafe.requote");
        }
        if (piece == NULL) {
            goto done;
        }
        int failed = PyList_Append(pieces, piece);
        Py_DECREF(piece);
        if (failed) {
            goto done;
        }
    }
    if (PyList_GET_SIZE(pieces) == 1) {
        result = PyList_GET_ITEM(pieces, 0);
        Py_INCREF(result);
    }
    else {
        PyObject *empty = PyUnicode_New(0, 0);
        if (empty != NULL) {
            result = PyUnicode_Join(empty, pieces);
            Py_DECREF(empty);
        }
    }
done:
    Py_XDECREF(pieces);
    PyMem_Free(buffer);
    return result;
}

PyDoc_STRVAR(urlencoded_lists_doc,
"urlencoded_lists(body, max_fields, /)\n--\n\n"
"forms.parse_urlencoded_lists for a bytes body: a dict of value lists, or,\n"
"when the body has more than max_fields (an int, or None for no limit)\n"
"fields, that count as an int for the caller to raise.");

static PyObject *
urlencoded_lists(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "urlencoded_lists() takes 2 arguments");
        return NULL;
    }
    PyObject *body = args[0];
    if (!PyBytes_Check(body)) {
        PyErr_Format(PyExc_TypeError, "urlencoded_lists() needs bytes, not %.100s",
                     Py_TYPE(body)->tp_name);
        return NULL;
    }
    const char *text = PyBytes_AS_STRING(body);
    const char *end = text + PyBytes_GET_SIZE(body);
    /* Any int limit, as in Python: one past either end of long long is no limit
     * (above) or a limit no body meets (below). */
    int overflow = 0;
    long long limit = 0;
    if (args[1] != Py_None) {
        limit = PyLong_AsLongLongAndOverflow(args[1], &overflow);
        if (limit == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (overflow < 0) {
            limit = -1;
        }
    }
    if (args[1] != Py_None && overflow <= 0) {
        Py_ssize_t count = 0;
        for (const char *segment = text; segment <= end;) {
            const char *stop = memchr(segment, '&', (size_t)(end - segment));
            if (stop == NULL) {
                stop = end;
            }
            count += stop > segment;
            segment = stop + 1;
        }
        if ((long long)count > limit) {
            return PyLong_FromSsize_t(count);
        }
    }
    PyObject *lists = PyDict_New();
    if (lists == NULL) {
        return NULL;
    }
    for (const char *segment = text; segment <= end;) {
        const char *stop = memchr(segment, '&', (size_t)(end - segment));
        if (stop == NULL) {
            stop = end;
        }
        if (stop > segment) {
            const char *equals = memchr(segment, '=', (size_t)(stop - segment));
            PyObject *name, *value;
            if (equals == NULL) {
                name = unquote_plus(segment, stop - segment);
                value = PyUnicode_New(0, 0);
            }
            else {
                name = unquote_plus(segment, equals - segment);
                value = name == NULL ? NULL : unquote_plus(equals + 1, stop - equals - 1);
            }
            if (name == NULL || value == NULL) {
                Py_XDECREF(name);
                Py_XDECREF(value);
                Py_DECREF(lists);
                return NULL;
            }
            PyObject *values = PyDict_GetItemWithError(lists, name);
            int failed;
            if (values != NULL) {
                failed = PyList_Append(values, value);
            }
            else if (PyErr_Occurred()) {
                failed = -1;
            }
            else {
                values = PyList_New(1);
                if (values == NULL) {
                    failed = -1;
                }
                else {
                    Py_INCREF(value);
                    PyList_SET_ITEM(values, 0, value);
                    failed = PyDict_SetItem(lists, name, values);
                    Py_DECREF(values);
                }
            }
            Py_DECREF(name);
            Py_DECREF(value);
            if (failed) {
                Py_DECREF(lists);
                return NULL;
            }
        }
        segment = stop + 1;
    }
    return lists;
}

/* -- headers --------------------------------------------------------------- */

/* headers.KNOWN_NAMES (validated name -> its lower case) and _VALID_VALUES
 * (values already checked), shared with headers.py by configure_headers(). */
/* -- header lists ---------------------------------------------------------- */

static int
is_ascii_text(PyObject *text, const char *expected, Py_ssize_t size)
{
    return PyUnicode_GET_LENGTH(text) == size && PyUnicode_IS_COMPACT_ASCII(text)
           && memcmp(PyUnicode_DATA(text), expected, (size_t)size) == 0;
}

PyDoc_STRVAR(headers_ready_doc,
"headers_ready(items, known_names, /)\n--\n\n"
"True if the header list items can be sent as it is for a response with\n"
"a body: every name in known_names (headers.KNOWN_NAMES, a dict of names\n"
"to their lower case), a Content-Length among them and no Location. False\n"
"otherwise: Response.wsgi_headers decides.");

/* The work of headers_ready: 1 if ready, 0 if not, -1 with an exception set. */
static int
list_ready(PyObject *items, PyObject *known_names)
{
    if (!PyList_CheckExact(items)) {
        return 0;
    }
    int has_length = 0;
    for (Py_ssize_t index = 0; index < PyList_GET_SIZE(items); index++) {
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 0))) {
            return 0;
        }
        /* The lookup may run Python code (a key's __eq__), which may change the
         * dict: the value is held while it is read. */
        PyObject *lower = PyDict_GetItemWithError(known_names, PyTuple_GET_ITEM(item, 0));
        if (lower == NULL) {
            return PyErr_Occurred() ? -1 : 0;
        }
        if (!PyUnicode_CheckExact(lower)) {
            return 0;
        }
        Py_INCREF(lower);
        int is_length = is_ascii_text(lower, "content-length", 14);
        int is_location = is_ascii_text(lower, "location", 8);
        Py_DECREF(lower);
        if (is_location) {
            return 0;
        }
        has_length |= is_length;
    }
    return has_length;
}

static PyObject *
headers_ready(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "headers_ready() takes a list and a dict");
        return NULL;
    }
    int ready = list_ready(args[0], args[1]);
    if (ready < 0) {
        return NULL;
    }
    return PyBool_FromLong(ready);
}

PyDoc_STRVAR(encode_headers_doc,
"encode_headers(items, names, /)\n--\n\n"
"The header list items as ASGI sends them, [(lower-case latin-1 name,\n"
"latin-1 value)], when every name is in names (a dict of str names\nto their lower-case bytes), a\n"
"Content-Length is among them and there is no Location; None otherwise.\n"
"A value that is not latin-1 raises UnicodeEncodeError.");

static int
is_bytes_text(PyObject *raw, const char *expected, Py_ssize_t size)
{
    return PyBytes_GET_SIZE(raw) == size
           && memcmp(PyBytes_AS_STRING(raw), expected, (size_t)size) == 0;
}

/* The work of encode_headers: the encoded list (a new reference), or NULL: without
 * an exception when declined, with one on error. */
static PyObject *
encode_items(PyObject *items, PyObject *names)
{
    if (!PyList_CheckExact(items)) {
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(items);
    PyObject *encoded = PyList_New(count);
    if (encoded == NULL) {
        return NULL;
    }
    int has_length = 0;
    for (Py_ssize_t index = 0; index < count; index++) {
        /* The lookup below may run Python code (a key's __eq__), which may change
         * the list or the dict: the item and the name are held, and a list whose
         * size changed is declined. */
        if (PyList_GET_SIZE(items) != count) {
            goto fail;
        }
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 0))
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 1))) {
            goto fail;
        }
        Py_INCREF(item);
        PyObject *raw = PyDict_GetItemWithError(names, PyTuple_GET_ITEM(item, 0));
        if (raw == NULL || !PyBytes_CheckExact(raw) || is_bytes_text(raw, "location", 8)) {
            Py_DECREF(item);
            goto fail;
        }
        Py_INCREF(raw);
        if (is_bytes_text(raw, "content-length", 14)) {
            has_length = 1;
        }
        PyObject *value = PyUnicode_AsLatin1String(PyTuple_GET_ITEM(item, 1));
        Py_DECREF(item);
        if (value == NULL) {
            Py_DECREF(raw);
            goto fail;
        }
        PyObject *pair = PyTuple_Pack(2, raw, value);
        Py_DECREF(raw);
        Py_DECREF(value);
        if (pair == NULL) {
            goto fail;
        }
        /* Slots not yet filled are NULL, which the list's dealloc skips. */
        PyList_SET_ITEM(encoded, index, pair);
    }
    if (has_length) {
        return encoded;
    }
fail:
    Py_DECREF(encoded);
    return NULL;
}

static PyObject *
encode_headers(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "encode_headers() takes a list and a dict");
        return NULL;
    }
    PyObject *encoded = encode_items(args[0], args[1]);
    if (encoded == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return encoded;
}

/* -- JSON ------------------------------------------------------------------ */

/* json._is_plain: orjson writes obj exactly as json.dumps does. Called only on
 * what orjson serialized, so obj is acyclic and at most 255 levels deep; the
 * depth limit below only guards against misuse. No Python code runs here. */
static int
plain(PyObject *obj, int depth)
{
    if (PyUnicode_CheckExact(obj) || PyLong_CheckExact(obj) || PyBool_Check(obj)
        || obj == Py_None) {
        return 1;
    }
    if (PyFloat_CheckExact(obj)) {
        double magnitude = fabs(PyFloat_AS_DOUBLE(obj));
        return (magnitude >= 0.0001 && magnitude < 1e16) || magnitude == 0.0;
    }
    if (depth > 1000) {
        return 0;
    }
    if (PyDict_CheckExact(obj)) {
        Py_ssize_t position = 0;
        PyObject *key, *value;
        while (PyDict_Next(obj, &position, &key, &value)) {
            if (!plain(value, depth + 1)) {
                return 0;
            }
        }
        return 1;
    }
    if (PyList_CheckExact(obj) || PyTuple_CheckExact(obj)) {
        Py_ssize_t size = PySequence_Fast_GET_SIZE(obj);
        PyObject **items = PySequence_Fast_ITEMS(obj);
        for (Py_ssize_t index = 0; index < size; index++) {
            if (!plain(items[index], depth + 1)) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

PyDoc_STRVAR(json_plain_doc,
"json_plain(obj, /)\n--\n\n"
"json._is_plain: whether orjson writes obj (which it serialized) exactly as\n"
"json.dumps does: exact dicts, lists, tuples, str, int, bool and None, and\n"
"floats that repr writes without an exponent.");

static PyObject *
json_plain(PyObject *module, PyObject *obj)
{
    return PyBool_FromLong(plain(obj, 0));
}

/* -- the module ------------------------------------------------------------ */

static PyMethodDef speedups_methods[] = {
    {"urlencoded_lists", (PyCFunction)(void (*)(void))urlencoded_lists, METH_FASTCALL,
     urlencoded_lists_doc},
    {"headers_ready", (PyCFunction)(void (*)(void))headers_ready, METH_FASTCALL,
     headers_ready_doc},
    {"encode_headers", (PyCFunction)(void (*)(void))encode_headers, METH_FASTCALL,
     encode_headers_doc},
    {"json_plain", json_plain, METH_O, json_plain_doc},
    {NULL, NULL, 0, NULL},
};

static int
speedups_exec(PyObject *module)
{
    /* http/_compiled.py loads the module only at the version its Python code expects. */
    return PyModule_AddIntConstant(module, "VERSION", 1);
}

static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "carafe.http._speedups",
    .m_doc = "Compiled leaf functions of carafe.http (optional).",
    .m_size = 0,
    .m_methods = speedups_methods,
    .m_slots = speedups_slots,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
