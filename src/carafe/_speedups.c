/* carafe._speedups: compiled versions of a few per-request helpers.
 *
 * Optional. Every function here has a pure-Python twin which stays the
 * reference: Carafe works without this module (no C compiler at install, or
 * CARAFE_NO_SPEEDUPS=1 in the environment), and the tests hold both versions
 * to the same results. Each function takes only the exact built-in types it
 * was written for and answers "not mine" (False, or a fallback) for anything
 * else, so the Python code keeps every unusual case.
 *
 * PERF: these are the hot spots the instruction counts of bench/instructions.py
 * pointed at, where pure Python pays a frame or a bytecode loop per request:
 *   - urlencoded_lists: request.form and request.args (Falcon parses these in
 *     Cython too);
 *   - set_known_header: response.headers[name] = value;
 *   - RequestProxy: every attribute read through the `request` proxy.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* -- urlencoded ------------------------------------------------------------ */

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
    if (args[1] != Py_None) {
        Py_ssize_t limit = PyLong_AsSsize_t(args[1]);
        if (limit == -1 && PyErr_Occurred()) {
            return NULL;
        }
        Py_ssize_t count = 0;
        for (const char *segment = text; segment <= end;) {
            const char *stop = memchr(segment, '&', (size_t)(end - segment));
            if (stop == NULL) {
                stop = end;
            }
            count += stop > segment;
            segment = stop + 1;
        }
        if (count > limit) {
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
static PyObject *known_names = NULL;
static PyObject *valid_values = NULL;

PyDoc_STRVAR(configure_headers_doc,
"configure_headers(known_names, valid_values, /)\n--\n\n"
"Share headers.KNOWN_NAMES (a dict) and _VALID_VALUES (a set) with\n"
"set_known_header.");

static PyObject *
configure_headers(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_CheckExact(args[0]) || !PySet_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "configure_headers() takes a dict and a set");
        return NULL;
    }
    Py_INCREF(args[0]);
    Py_XSETREF(known_names, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(valid_values, args[1]);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(set_known_header_doc,
"set_known_header(items, name, value, /)\n--\n\n"
"Headers.__setitem__ for the usual case, on the header list items: name\n"
"is a known name and value a str already checked, every header in the\n"
"list has a known name and at most one has this name. Replaces that\n"
"header in place or appends one and returns True; returns False, having\n"
"changed nothing, in every other case.");

static PyObject *
set_known_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "set_known_header() takes 3 arguments");
        return NULL;
    }
    PyObject *items = args[0], *name = args[1], *value = args[2];
    if (known_names == NULL || !PyList_CheckExact(items) || !PyUnicode_CheckExact(name)
        || !PyUnicode_CheckExact(value)) {
        Py_RETURN_FALSE;
    }
    /* Only str keys are looked up here, so no Python code runs in this function
     * and the list cannot change under the loop. */
    PyObject *lower = PyDict_GetItemWithError(known_names, name);
    if (lower == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_FALSE;
    }
    int checked = PySet_Contains(valid_values, value);
    if (checked <= 0) {
        if (checked < 0) {
            return NULL;
        }
        Py_RETURN_FALSE;
    }
    Py_ssize_t found = -1;
    Py_ssize_t count = PyList_GET_SIZE(items);
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
            Py_RETURN_FALSE;
        }
        PyObject *other = PyTuple_GET_ITEM(item, 0);
        if (!PyUnicode_CheckExact(other)) {
            Py_RETURN_FALSE;
        }
        int same = other == name;
        if (!same) {
            PyObject *other_lower = PyDict_GetItemWithError(known_names, other);
            if (other_lower == NULL) {
                if (PyErr_Occurred()) {
                    return NULL;
                }
                Py_RETURN_FALSE;
            }
            same = other_lower == lower
                   || PyUnicode_Compare(other_lower, lower) == 0;
        }
        if (same) {
            if (found >= 0) {
                Py_RETURN_FALSE;
            }
            found = index;
        }
    }
    PyObject *pair = PyTuple_Pack(2, name, value);
    if (pair == NULL) {
        return NULL;
    }
    if (found < 0) {
        int failed = PyList_Append(items, pair);
        Py_DECREF(pair);
        if (failed) {
            return NULL;
        }
    }
    else {
        PyObject *old = PyList_GET_ITEM(items, found);
        PyList_SET_ITEM(items, found, pair);
        Py_DECREF(old);
    }
    Py_RETURN_TRUE;
}

/* -- the request proxy ----------------------------------------------------- */

/* ctx._cv_ctx, ctx._PROXY_OWN and the message for a read outside a request,
 * set by configure_proxy(). */
static PyObject *proxy_var = NULL;
static PyObject *proxy_own = NULL;
static PyObject *proxy_message = NULL;
static PyObject *request_name = NULL;

PyDoc_STRVAR(configure_proxy_doc,
"configure_proxy(var, own_names, message, /)\n--\n\n"
"Set the context variable RequestProxy reads (its value has a `request`\n"
"attribute), the names it keeps for itself and the RuntimeError message\n"
"for a read outside a request.");

static PyObject *
configure_proxy(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyContextVar_CheckExact(args[0]) || !PyFrozenSet_CheckExact(args[1])
        || !PyUnicode_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_proxy() takes a ContextVar, a frozenset and a str");
        return NULL;
    }
    Py_INCREF(args[0]);
    Py_XSETREF(proxy_var, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(proxy_own, args[1]);
    Py_INCREF(args[2]);
    Py_XSETREF(proxy_message, args[2]);
    Py_RETURN_NONE;
}

static PyObject *
proxy_getattro(PyObject *self, PyObject *name)
{
    if (proxy_var == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the request proxy is not configured");
        return NULL;
    }
    int own = PySet_Contains(proxy_own, name);
    if (own) {
        return own < 0 ? NULL : PyObject_GenericGetAttr(self, name);
    }
    PyObject *ctx;
    if (PyContextVar_Get(proxy_var, NULL, &ctx) < 0) {
        return NULL;
    }
    if (ctx == NULL) {
        PyErr_SetObject(PyExc_RuntimeError, proxy_message);
        return NULL;
    }
    PyObject *request = PyObject_GetAttr(ctx, request_name);
    Py_DECREF(ctx);
    if (request == NULL) {
        return NULL;
    }
    if (request == Py_None) {
        Py_DECREF(request);
        PyErr_SetObject(PyExc_RuntimeError, proxy_message);
        return NULL;
    }
    PyObject *result = PyObject_GetAttr(request, name);
    Py_DECREF(request);
    return result;
}

PyDoc_STRVAR(proxy_doc,
"A base for the `request` proxy: every attribute read but the proxy's own\n"
"names is read from the request of the current context.");

static PyTypeObject RequestProxyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "carafe._speedups.RequestProxy",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = proxy_doc,
    .tp_getattro = proxy_getattro,
    .tp_new = PyType_GenericNew,
};

/* -- the module ------------------------------------------------------------ */

static PyMethodDef speedups_methods[] = {
    {"urlencoded_lists", (PyCFunction)(void (*)(void))urlencoded_lists, METH_FASTCALL,
     urlencoded_lists_doc},
    {"configure_headers", (PyCFunction)(void (*)(void))configure_headers, METH_FASTCALL,
     configure_headers_doc},
    {"set_known_header", (PyCFunction)(void (*)(void))set_known_header, METH_FASTCALL,
     set_known_header_doc},
    {"configure_proxy", (PyCFunction)(void (*)(void))configure_proxy, METH_FASTCALL,
     configure_proxy_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "carafe._speedups",
    .m_doc = "Compiled versions of a few of Carafe's per-request helpers (optional).",
    .m_size = -1,
    .m_methods = speedups_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&RequestProxyType) < 0) {
        return NULL;
    }
    request_name = PyUnicode_InternFromString("request");
    if (request_name == NULL) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&RequestProxyType);
    if (PyModule_AddObject(module, "RequestProxy", (PyObject *)&RequestProxyType) < 0) {
        Py_DECREF(&RequestProxyType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
