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
 *   - RequestProxy: every attribute read through the `request` proxy;
 *   - init_text: Response("text"), what make_response and most views build;
 *   - headers_ready and asgi_headers: the usual response's header list, as
 *     WSGI and ASGI send it;
 *   - json_plain: the check that orjson's output is the standard library's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <structmember.h>

/* -- shared helpers ------------------------------------------------------ */

/* The offsets of `names` in `type`'s own dict, or -1 with an exception set. */
static int
read_offsets(PyTypeObject *type, const char **names, int count, Py_ssize_t *offsets)
{
    for (int i = 0; i < count; i++) {
        PyObject *descriptor = PyDict_GetItemString(type->tp_dict, names[i]);
        if (descriptor == NULL || Py_TYPE(descriptor) != &PyMemberDescr_Type) {
            PyErr_Format(PyExc_TypeError, "%.100s has no slot %s", type->tp_name, names[i]);
            return -1;
        }
        PyMemberDef *member = ((PyMemberDescrObject *)descriptor)->d_member;
        if (member->type != T_OBJECT_EX || (member->flags & READONLY) || member->offset <= 0
            || member->offset + (Py_ssize_t)sizeof(PyObject *) > type->tp_basicsize) {
            PyErr_Format(PyExc_TypeError, "%.100s.%s is not a plain slot", type->tp_name,
                         names[i]);
            return -1;
        }
        offsets[i] = member->offset;
    }
    return 0;
}

static void
set_at(PyObject *self, Py_ssize_t offset, PyObject *value)
{
    PyObject **place = (PyObject **)((char *)self + offset);
    PyObject *old = *place;
    Py_INCREF(value);
    *place = value;
    Py_XDECREF(old);
}

/* fallback(self, *args, **kwargs): a method descriptor's call handed to Python. */
static PyObject *
call_with_self(PyObject *fallback, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    Py_ssize_t given = nargs + (kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames));
    PyObject *small[6];
    PyObject **call = small;
    if (given + 1 > 6) {
        call = PyMem_Malloc((size_t)(given + 1) * sizeof(PyObject *));
        if (call == NULL) {
            return PyErr_NoMemory();
        }
    }
    call[0] = self;
    for (Py_ssize_t i = 0; i < given; i++) {
        call[i + 1] = args[i];
    }
    PyObject *result = PyObject_Vectorcall(fallback, call, nargs + 1, kwnames);
    if (call != small) {
        PyMem_Free(call);
    }
    return result;
}

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

/* The work of set_known_header: 1 if set, 0 if declined (nothing changed), -1
 * with an exception set. */
static int
try_set_known(PyObject *items, PyObject *name, PyObject *value)
{
    if (known_names == NULL || !PyList_CheckExact(items) || !PyUnicode_CheckExact(name)
        || !PyUnicode_CheckExact(value)) {
        return 0;
    }
    /* Only str keys are looked up here, so no Python code runs in this function
     * and the list cannot change under the loop. */
    PyObject *lower = PyDict_GetItemWithError(known_names, name);
    if (lower == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    int checked = PySet_Contains(valid_values, value);
    if (checked <= 0) {
        return checked;
    }
    Py_ssize_t found = -1;
    Py_ssize_t count = PyList_GET_SIZE(items);
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
            return 0;
        }
        PyObject *other = PyTuple_GET_ITEM(item, 0);
        if (!PyUnicode_CheckExact(other)) {
            return 0;
        }
        int same = other == name;
        if (!same) {
            PyObject *other_lower = PyDict_GetItemWithError(known_names, other);
            if (other_lower == NULL) {
                return PyErr_Occurred() ? -1 : 0;
            }
            same = other_lower == lower || PyUnicode_Compare(other_lower, lower) == 0;
        }
        if (same) {
            if (found >= 0) {
                return 0;
            }
            found = index;
        }
    }
    PyObject *pair = PyTuple_Pack(2, name, value);
    if (pair == NULL) {
        return -1;
    }
    if (found < 0) {
        int failed = PyList_Append(items, pair);
        Py_DECREF(pair);
        return failed ? -1 : 1;
    }
    PyObject *old = PyList_GET_ITEM(items, found);
    PyList_SET_ITEM(items, found, pair);
    Py_DECREF(old);
    return 1;
}

static PyObject *
set_known_header(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "set_known_header() takes 3 arguments");
        return NULL;
    }
    int done = try_set_known(args[0], args[1], args[2]);
    if (done < 0) {
        return NULL;
    }
    return PyBool_FromLong(done);
}

/* Headers.__setitem__ as a method descriptor: the usual case is set here, with
 * no Python frame; every other goes to the Python method it replaces. */
static PyObject *setitem_fallback = NULL;
static PyObject *s_list;

static PyObject *
headers_setitem(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "__setitem__ expected 2 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *items = PyObject_GetAttr(self, s_list);
    if (items == NULL) {
        return NULL;
    }
    int done = try_set_known(items, args[0], args[1]);
    Py_DECREF(items);
    if (done < 0) {
        return NULL;
    }
    if (done) {
        Py_RETURN_NONE;
    }
    return call_with_self(setitem_fallback, self, args, 2, NULL);
}

static PyMethodDef headers_setitem_def = {
    "__setitem__", (PyCFunction)(void (*)(void))headers_setitem, METH_FASTCALL,
    "__setitem__($self, key, value, /)\n--\n\n"
    "headers[name] = value is set(); an int or slice replaces pairs.",
};

PyDoc_STRVAR(setitem_method_doc,
"setitem_method(headers_class, fallback, /)\n--\n\n"
"A __setitem__ method for headers_class: set_known_header's case in C,\n"
"every other case handed to fallback(self, key, value), the Python method.");

static PyObject *
setitem_method(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "setitem_method() takes a class and a function");
        return NULL;
    }
    Py_INCREF(args[1]);
    Py_XSETREF(setitem_fallback, args[1]);
    return PyDescr_NewMethod((PyTypeObject *)args[0], &headers_setitem_def);
}

/* -- responses ------------------------------------------------------------- */

/* response.py's caches (STATUS_LINES, _FOR_MIMETYPE, _LENGTH_TEXTS), its
 * _length_text function and the Headers class, set by configure_response(). */
static PyObject *status_lines = NULL;
static PyObject *for_mimetype = NULL;
static PyObject *length_texts = NULL;
static PyObject *length_text = NULL;
static PyTypeObject *headers_class = NULL;
static PyTypeObject *response_class = NULL;

/* Interned attribute names and header names. */
static PyObject *s_default_status, *s_default_mimetype, *s_automatically_set_content_length;
static PyObject *s_status_code, *s_status, *s_direct_passthrough, *s_on_close, *s_headers;
static PyObject *s_response, *s_content_type_name, *s_content_length_name;
static PyObject *empty_tuple;

PyDoc_STRVAR(configure_response_doc,
"configure_response(status_lines, for_mimetype, length_texts, length_text, headers_class,\n"
"                   response_class, /)\n"
"--\n\n"
"Share response.py's caches, its _length_text function and the Headers and\n"
"Response classes with init_text and text_response.");

static PyObject *
configure_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyDict_CheckExact(args[0]) || !PyDict_CheckExact(args[1])
        || !PyDict_CheckExact(args[2]) || !PyCallable_Check(args[3]) || !PyType_Check(args[4])
        || !PyType_Check(args[5])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_response() takes three dicts, a function and two classes");
        return NULL;
    }
    Py_INCREF(args[0]);
    Py_XSETREF(status_lines, args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(for_mimetype, args[1]);
    Py_INCREF(args[2]);
    Py_XSETREF(length_texts, args[2]);
    Py_INCREF(args[3]);
    Py_XSETREF(length_text, args[3]);
    Py_INCREF(args[4]);
    Py_XSETREF(headers_class, (PyTypeObject *)args[4]);
    Py_INCREF(args[5]);
    Py_XSETREF(response_class, (PyTypeObject *)args[5]);
    Py_RETURN_NONE;
}

static int
is_ascii_text(PyObject *text, const char *expected, Py_ssize_t size)
{
    return PyUnicode_GET_LENGTH(text) == size && PyUnicode_IS_COMPACT_ASCII(text)
           && memcmp(PyUnicode_DATA(text), expected, (size_t)size) == 0;
}

/* The class attribute `name` of `self`'s class (a subclass may override it). */
static PyObject *
class_attribute(PyObject *self, PyObject *name)
{
    return PyObject_GetAttr((PyObject *)Py_TYPE(self), name);
}

/* The cached Content-Length text of a body of `size` bytes, or _length_text's. */
static PyObject *
content_length_text(Py_ssize_t size)
{
    PyObject *key = PyLong_FromSsize_t(size);
    if (key == NULL) {
        return NULL;
    }
    PyObject *text = PyDict_GetItemWithError(length_texts, key);
    if (text != NULL) {
        Py_INCREF(text);
    }
    else if (!PyErr_Occurred()) {
        text = PyObject_CallOneArg(length_text, key);
    }
    Py_DECREF(key);
    return text;
}

PyDoc_STRVAR(init_text_doc,
"init_text(response, body, status, headers, mimetype, content_type, direct_passthrough, /)\n"
"--\n\n"
"Response.__init__ for a str or bytes body with no content type given, no\n"
"headers or a dict of known names and checked values (no Content-Type or\n"
"Content-Length), an int status (or None) and a mimetype already seen (or None):\n"
"sets the response up and returns True. Returns False, having set nothing,\n"
"in every other case.");

/* The work of init_text: 1 if the response was set up, 0 if declined (nothing
 * set), -1 with an exception set. */
static int
init_text_core(PyObject *self, PyObject *body, PyObject *status, PyObject *given,
               PyObject *mimetype, PyObject *content_type_given, PyObject *passthrough)
{
    if (headers_class == NULL || known_names == NULL
        || !(given == Py_None || PyDict_CheckExact(given)) || content_type_given != Py_None
        || passthrough != Py_False || !(PyUnicode_CheckExact(body) || PyBytes_CheckExact(body))
        || !(status == Py_None || PyLong_CheckExact(status))
        || !(mimetype == Py_None || PyUnicode_CheckExact(mimetype))) {
        return 0;
    }
    PyObject *code = NULL, *line = NULL, *content_type = NULL, *length = NULL;
    PyObject *chunks = NULL, *header_list = NULL, *headers = NULL;
    int result = -1;

    /* Everything is looked up first: nothing is set unless all of it is known. */
    header_list = PyList_New(0);
    if (header_list == NULL) {
        goto done;
    }
    if (given != Py_None) {
        /* Headers(given) for a dict of known names and checked str values, none of
         * them Content-Type or Content-Length (which the Python code merges). No
         * Python code runs in this loop: the dict cannot change under it. */
        Py_ssize_t position = 0;
        PyObject *name, *value;
        while (PyDict_Next(given, &position, &name, &value)) {
            if (!PyUnicode_CheckExact(name) || !PyUnicode_CheckExact(value)) {
                goto decline;
            }
            PyObject *lower = PyDict_GetItemWithError(known_names, name);
            if (lower == NULL) {
                if (PyErr_Occurred()) {
                    goto done;
                }
                goto decline;
            }
            if (is_ascii_text(lower, "content-type", 12)
                || is_ascii_text(lower, "content-length", 14)) {
                goto decline;
            }
            int checked = PySet_Contains(valid_values, value);
            if (checked <= 0) {
                if (checked < 0) {
                    goto done;
                }
                goto decline;
            }
            PyObject *pair = PyTuple_Pack(2, name, value);
            if (pair == NULL || PyList_Append(header_list, pair) < 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
        }
    }
    if (status == Py_None) {
        code = class_attribute(self, s_default_status);
        if (code == NULL) {
            goto done;
        }
    }
    else {
        code = status;
        Py_INCREF(code);
    }
    if (!PyLong_CheckExact(code)) {
        goto decline;
    }
    line = PyDict_GetItemWithError(status_lines, code);
    if (line == NULL) {
        if (PyErr_Occurred()) {
            goto done;
        }
        goto decline;  /* an unknown code: status_line() words it, or refuses it */
    }
    Py_INCREF(line);
    if (mimetype == Py_None) {
        mimetype = class_attribute(self, s_default_mimetype);
        if (mimetype == NULL) {
            goto done;
        }
    }
    else {
        Py_INCREF(mimetype);
    }
    if (mimetype != Py_None) {
        if (!PyUnicode_CheckExact(mimetype)) {
            Py_DECREF(mimetype);
            goto decline;
        }
        content_type = PyDict_GetItemWithError(for_mimetype, mimetype);
        Py_DECREF(mimetype);
        if (content_type == NULL) {
            if (PyErr_Occurred()) {
                goto done;
            }
            goto decline;  /* not checked yet: the Python code checks it once */
        }
        Py_INCREF(content_type);
    }
    else {
        Py_DECREF(mimetype);
    }
    if (PyUnicode_CheckExact(body)) {
        body = PyUnicode_AsUTF8String(body);
        if (body == NULL) {
            /* A lone surrogate: the Python code raises the same error. */
            PyErr_Clear();
            goto decline;
        }
    }
    else {
        Py_INCREF(body);
    }
    chunks = PyList_New(1);
    if (chunks == NULL) {
        Py_DECREF(body);
        goto done;
    }
    PyList_SET_ITEM(chunks, 0, body);
    PyObject *automatic = class_attribute(self, s_automatically_set_content_length);
    if (automatic == NULL) {
        goto done;
    }
    int wanted = PyObject_IsTrue(automatic);
    Py_DECREF(automatic);
    if (wanted < 0) {
        goto done;
    }
    if (wanted) {
        length = content_length_text(PyBytes_GET_SIZE(body));
        if (length == NULL) {
            goto done;
        }
    }
    if (content_type != NULL) {
        PyObject *pair = PyTuple_Pack(2, s_content_type_name, content_type);
        if (pair == NULL || PyList_Append(header_list, pair) < 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    if (length != NULL) {
        PyObject *pair = PyTuple_Pack(2, s_content_length_name, length);
        if (pair == NULL || PyList_Append(header_list, pair) < 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    /* Headers._trusted(header_list), without its call. */
    headers = headers_class->tp_new(headers_class, empty_tuple, NULL);
    if (headers == NULL || PyObject_SetAttr(headers, s_list, header_list) < 0) {
        goto done;
    }
    /* The attributes, in the order Response.__init__ sets them. */
    if (PyObject_SetAttr(self, s_status_code, code) < 0
        || PyObject_SetAttr(self, s_status, line) < 0
        || PyObject_SetAttr(self, s_direct_passthrough, Py_False) < 0
        || PyObject_SetAttr(self, s_on_close, Py_None) < 0
        || PyObject_SetAttr(self, s_headers, headers) < 0
        || PyObject_SetAttr(self, s_response, chunks) < 0) {
        goto done;
    }
    result = 1;
    goto done;
decline:
    result = 0;
done:
    Py_XDECREF(code);
    Py_XDECREF(line);
    Py_XDECREF(content_type);
    Py_XDECREF(length);
    Py_XDECREF(chunks);
    Py_XDECREF(header_list);
    Py_XDECREF(headers);
    return result;
}

static PyObject *
init_text(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "init_text() takes 7 arguments");
        return NULL;
    }
    int done = init_text_core(args[0], args[1], args[2], args[3], args[4], args[5], args[6]);
    if (done < 0) {
        return NULL;
    }
    return PyBool_FromLong(done);
}

/* A new Response (the class itself) with a text body, status and headers, set up
 * by init_text_core: a new reference, or NULL when declined (no exception set)
 * or on error. */
static PyObject *
new_text_response(PyObject *body, PyObject *status, PyObject *given)
{
    PyObject *response = response_class->tp_new(response_class, empty_tuple, NULL);
    if (response == NULL) {
        return NULL;
    }
    int done = init_text_core(response, body, status, given, Py_None, Py_None, Py_False);
    if (done <= 0) {
        Py_DECREF(response);
        return NULL;
    }
    return response;
}

PyDoc_STRVAR(text_response_doc,
"text_response(rv, /)\n--\n\n"
"Flask.make_response for a view's text return value, with the Response class\n"
"itself as the app's response_class: rv is a str, or a tuple (str, int),\n"
"(str, dict) or (str, int, dict) of the kinds init_text takes. The response,\n"
"built without a Python frame, or None to leave rv to the Python code.");

static PyObject *
text_response(PyObject *module, PyObject *rv)
{
    PyObject *body = rv, *status = Py_None, *given = Py_None;
    if (response_class == NULL) {
        Py_RETURN_NONE;
    }
    if (PyTuple_CheckExact(rv)) {
        Py_ssize_t size = PyTuple_GET_SIZE(rv);
        body = size ? PyTuple_GET_ITEM(rv, 0) : Py_None;
        if (size == 3) {
            status = PyTuple_GET_ITEM(rv, 1);
            given = PyTuple_GET_ITEM(rv, 2);
        }
        else if (size == 2) {
            /* (body, headers) when the second item is a dict, else (body, status). */
            PyObject *second = PyTuple_GET_ITEM(rv, 1);
            if (PyDict_CheckExact(second)) {
                given = second;
            }
            else {
                status = second;
            }
        }
        else {
            Py_RETURN_NONE;
        }
    }
    if (!PyUnicode_CheckExact(body)) {
        Py_RETURN_NONE;
    }
    PyObject *response = new_text_response(body, status, given);
    if (response == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return response;
}

PyDoc_STRVAR(headers_ready_doc,
"headers_ready(items, /)\n--\n\n"
"True if the header list items can be sent as it is for a response with\n"
"a body: every name known (headers.KNOWN_NAMES), a Content-Length among\n"
"them and no Location. False otherwise: Response.wsgi_headers decides.");

/* The work of headers_ready: 1 if ready, 0 if not, -1 with an exception set. */
static int
list_ready(PyObject *items)
{
    if (known_names == NULL || !PyList_CheckExact(items)) {
        return 0;
    }
    int has_length = 0;
    for (Py_ssize_t index = 0; index < PyList_GET_SIZE(items); index++) {
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 0))) {
            return 0;
        }
        PyObject *lower = PyDict_GetItemWithError(known_names, PyTuple_GET_ITEM(item, 0));
        if (lower == NULL) {
            return PyErr_Occurred() ? -1 : 0;
        }
        if (is_ascii_text(lower, "content-length", 14)) {
            has_length = 1;
        }
        else if (is_ascii_text(lower, "location", 8)) {
            return 0;
        }
    }
    return has_length;
}

static PyObject *
headers_ready(PyObject *module, PyObject *items)
{
    int ready = list_ready(items);
    if (ready < 0) {
        return NULL;
    }
    return PyBool_FromLong(ready);
}

/* response.py's BODYLESS_CODES: 1xx, 204 and 304. */
static int
bodyless(long code)
{
    return (code >= 100 && code < 200) || code == 204 || code == 304;
}

/* The one bytes chunk of `response`'s body when it is sent as it is (a list of
 * one bytes object, nothing to call on close), as a new reference; NULL without
 * an exception when it is not, NULL with one on error. */
static PyObject *
single_chunk(PyObject *response)
{
    PyObject *on_close = PyObject_GetAttr(response, s_on_close);
    if (on_close == NULL) {
        return NULL;
    }
    int pending = on_close != Py_None && PyObject_IsTrue(on_close);
    Py_DECREF(on_close);
    if (pending) {
        return NULL;  /* with the exception of a failed truth test, if any */
    }
    PyObject *body = PyObject_GetAttr(response, s_response);
    if (body == NULL) {
        return NULL;
    }
    if (PyList_CheckExact(body) && PyList_GET_SIZE(body) == 1
        && PyBytes_CheckExact(PyList_GET_ITEM(body, 0))) {
        return body;
    }
    Py_DECREF(body);
    return NULL;
}

/* `response`'s status code when its answer is the usual one: an exact Response
 * with an int code that allows a body, to a request that is not HEAD; -1
 * otherwise (-2 with an exception set). */
static long
usual_code(PyObject *response, PyObject *method)
{
    if (response_class == NULL || Py_TYPE(response) != response_class
        || !PyUnicode_CheckExact(method) || is_ascii_text(method, "HEAD", 4)) {
        return -1;
    }
    PyObject *code_object = PyObject_GetAttr(response, s_status_code);
    if (code_object == NULL) {
        return -2;
    }
    long code = PyLong_CheckExact(code_object) ? PyLong_AsLong(code_object) : -1;
    Py_DECREF(code_object);
    if (code == -1 && PyErr_Occurred()) {
        PyErr_Clear();  /* too large for a long: not a code this path knows */
        return -1;
    }
    return code < 0 || bodyless(code) ? -1 : code;
}

/* The parts of the usual answer (see usual_code and single_chunk): the body list
 * (returned) and the header list (*items), both new references, and the code.
 * NULL to decline (no exception set) or on error. */
static PyObject *
usual_parts(PyObject *response, PyObject *method, long *code, PyObject **items)
{
    *code = usual_code(response, method);
    if (*code < 0) {
        return NULL;
    }
    PyObject *body = single_chunk(response);
    if (body == NULL) {
        return NULL;
    }
    PyObject *headers = PyObject_GetAttr(response, s_headers);
    *items = headers == NULL ? NULL : PyObject_GetAttr(headers, s_list);
    Py_XDECREF(headers);
    if (*items == NULL) {
        Py_DECREF(body);
        return NULL;
    }
    return body;
}

PyDoc_STRVAR(wsgi_respond_doc,
"wsgi_respond(response, start_response, method, /)\n--\n\n"
"Send the usual answer: for an exact Response with a body of one bytes\n"
"chunk, nothing to call on close, a code that allows a body, a header list\n"
"ready as it is (headers_ready) and a request that is not HEAD, call\n"
"start_response(status, header_list) and return the body list. Return None,\n"
"having called nothing, otherwise (Response.wsgi_headers and wsgi_body then).");

static PyObject *
wsgi_respond(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "wsgi_respond() takes 3 arguments");
        return NULL;
    }
    PyObject *response = args[0], *items;
    long code;
    PyObject *body = usual_parts(response, args[2], &code, &items);
    if (body == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    int ready = list_ready(items);
    PyObject *status = ready > 0 ? PyObject_GetAttr(response, s_status) : NULL;
    if (status == NULL) {
        Py_DECREF(items);
        Py_DECREF(body);
        if (ready < 0 || PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *call[2] = {status, items};
    PyObject *written = PyObject_Vectorcall(args[1], call, 2, NULL);
    Py_DECREF(status);
    Py_DECREF(items);
    if (written == NULL) {
        Py_DECREF(body);
        return NULL;
    }
    Py_DECREF(written);
    return body;
}

PyDoc_STRVAR(asgi_headers_doc,
"asgi_headers(items, names, /)\n--\n\n"
"The header list items as ASGI sends them, [(lower-case latin-1 name,\n"
"latin-1 value)], when every name is in names (asgi._ASGI_NAMES), a\n"
"Content-Length is among them and there is no Location; None otherwise.\n"
"A value that is not latin-1 raises UnicodeEncodeError.");

static int
is_bytes_text(PyObject *raw, const char *expected, Py_ssize_t size)
{
    return PyBytes_GET_SIZE(raw) == size
           && memcmp(PyBytes_AS_STRING(raw), expected, (size_t)size) == 0;
}

/* The work of asgi_headers: the encoded list (a new reference), or NULL: without
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
        PyObject *item = PyList_GET_ITEM(items, index);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 0))
            || !PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 1))) {
            goto fail;
        }
        PyObject *raw = PyDict_GetItemWithError(names, PyTuple_GET_ITEM(item, 0));
        if (raw == NULL || !PyBytes_CheckExact(raw) || is_bytes_text(raw, "location", 8)) {
            goto fail;
        }
        if (is_bytes_text(raw, "content-length", 14)) {
            has_length = 1;
        }
        PyObject *value = PyUnicode_AsLatin1String(PyTuple_GET_ITEM(item, 1));
        if (value == NULL) {
            goto fail;
        }
        PyObject *pair = PyTuple_Pack(2, raw, value);
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
asgi_headers(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyDict_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "asgi_headers() takes a list and a dict");
        return NULL;
    }
    PyObject *encoded = encode_items(args[0], args[1]);
    if (encoded == NULL && !PyErr_Occurred()) {
        Py_RETURN_NONE;
    }
    return encoded;
}

static PyObject *s_type, *s_status_key, *s_body, *s_more_body, *s_start_type, *s_body_type;

PyDoc_STRVAR(asgi_messages_doc,
"asgi_messages(response, method, names, /)\n--\n\n"
"The two ASGI messages of the usual answer, (http.response.start,\n"
"http.response.body), for what wsgi_respond takes; names is\n"
"asgi._ASGI_NAMES. None otherwise, for the Python code to answer.");

static PyObject *
asgi_messages(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyDict_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "asgi_messages() takes a response, a str and a dict");
        return NULL;
    }
    PyObject *items;
    long code;
    PyObject *chunks = usual_parts(args[0], args[1], &code, &items);
    if (chunks == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *start = NULL, *end = NULL, *result = NULL, *encoded = NULL, *status = NULL;
    encoded = encode_items(items, args[2]);
    Py_DECREF(items);
    if (encoded == NULL) {
        if (!PyErr_Occurred()) {
            result = Py_None;
            Py_INCREF(result);
        }
        goto done;
    }
    status = PyLong_FromLong(code);
    start = PyDict_New();
    end = PyDict_New();
    if (status == NULL || start == NULL || end == NULL
        || PyDict_SetItem(start, s_type, s_start_type) < 0
        || PyDict_SetItem(start, s_status_key, status) < 0
        || PyDict_SetItem(start, s_headers, encoded) < 0
        || PyDict_SetItem(end, s_type, s_body_type) < 0
        || PyDict_SetItem(end, s_body, PyList_GET_ITEM(chunks, 0)) < 0
        || PyDict_SetItem(end, s_more_body, Py_False) < 0) {
        goto done;
    }
    result = PyTuple_Pack(2, start, end);
done:
    Py_DECREF(chunks);
    Py_XDECREF(encoded);
    Py_XDECREF(status);
    Py_XDECREF(start);
    Py_XDECREF(end);
    return result;
}

/* -- make_response --------------------------------------------------------- */

/* The current context's variable, set by configure_proxy() (below). */
static PyObject *proxy_var;

static PyObject *make_response_fallback = NULL;
static PyObject *s_app, *s_plan, *s_plain_make_response, *s_response_class, *s_make_response;

PyDoc_STRVAR(configure_make_response_doc,
"configure_make_response(fallback, /)\n--\n\n"
"Keep helpers.make_response, the Python function, for make_response's other cases\n"
"(configure_proxy and configure_response first).");

static PyObject *
configure_make_response(PyObject *module, PyObject *fallback)
{
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "configure_make_response() takes a function");
        return NULL;
    }
    Py_INCREF(fallback);
    Py_XSETREF(make_response_fallback, fallback);
    Py_RETURN_NONE;
}

/* The answer of make_response(rv) for one argument when the app's make_response
 * is Flask's: a text response or the response itself (a new reference), or NULL
 * to hand over (with an exception set on error). */
static PyObject *
make_response_one(PyObject *rv)
{
    if (proxy_var == NULL || response_class == NULL) {
        return NULL;
    }
    PyObject *ctx;
    if (PyContextVar_Get(proxy_var, NULL, &ctx) < 0 || ctx == NULL) {
        return NULL;
    }
    PyObject *app = PyObject_GetAttr(ctx, s_app);
    Py_DECREF(ctx);
    if (app == NULL) {
        return NULL;
    }
    /* app.plan.plain_make_response (the plan is None before the first request). */
    PyObject *plan = PyObject_GetAttr(app, s_plan);
    PyObject *plain = plan == NULL ? NULL : PyObject_GetAttr(plan, s_plain_make_response);
    if (plain == NULL && plan == Py_None) {
        PyErr_Clear();
    }
    Py_XDECREF(plan);
    PyObject *cls = plain == NULL ? NULL : PyObject_GetAttr(app, s_response_class);
    Py_DECREF(app);
    PyObject *result = NULL;
    if (cls != NULL && plain == Py_True) {
        if (PyUnicode_CheckExact(rv) && cls == (PyObject *)response_class) {
            result = new_text_response(rv, Py_None, Py_None);
        }
        else if ((PyObject *)Py_TYPE(rv) == cls) {
            result = rv;
            Py_INCREF(result);
        }
    }
    Py_XDECREF(plain);
    Py_XDECREF(cls);
    return result;
}

PyDoc_STRVAR(make_response_doc,
"make_response(*args)\n--\n\n"
"Turn view-style return values into a response, so headers can be added.\n\n"
"make_response() is an empty response; one argument is converted like a\n"
"view's return value; several are taken as a tuple: make_response(body, 404).\n"
"(Compiled: a text body or a finished response here, the rest by the Python\n"
"helpers.make_response.)");

static PyObject *
make_response(PyObject *module, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (make_response_fallback == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "make_response is not configured");
        return NULL;
    }
    if (nargs == 1 && kwnames == NULL) {
        PyObject *result = make_response_one(args[0]);
        if (result != NULL || PyErr_Occurred()) {
            return result;
        }
    }
    else if (nargs >= 2 && kwnames == NULL && proxy_var != NULL) {
        /* make_response(body, status, ...): app.make_response(args), as the Python does. */
        PyObject *ctx;
        if (PyContextVar_Get(proxy_var, NULL, &ctx) < 0) {
            return NULL;
        }
        if (ctx != NULL) {
            PyObject *app = PyObject_GetAttr(ctx, s_app);
            Py_DECREF(ctx);
            if (app == NULL) {
                return NULL;
            }
            PyObject *rv = PyTuple_New(nargs);
            if (rv == NULL) {
                Py_DECREF(app);
                return NULL;
            }
            for (Py_ssize_t i = 0; i < nargs; i++) {
                Py_INCREF(args[i]);
                PyTuple_SET_ITEM(rv, i, args[i]);
            }
            PyObject *result = PyObject_CallMethodOneArg(app, s_make_response, rv);
            Py_DECREF(rv);
            Py_DECREF(app);
            return result;
        }
    }
    return PyObject_Vectorcall(make_response_fallback, args, nargs, kwnames);
}

/* -- requests -------------------------------------------------------------- */

/* Request.__init__ for the Request class itself, writing its slots where the
 * interpreter's own STORE_ATTR does: at the offsets of the class's member
 * descriptors, read once by configure_request(). Any other class (a subclass may
 * put a property over a slot) goes to the Python __init__. */
enum {
    R_ENVIRON, R_OPTIONS, R_METHOD, R_PATH, R_URL_RULE, R_VIEW_ARGS, R_ROUTING_EXCEPTION,
    R_ARGS, R_FORM, R_FILES, R_COOKIES, R_HEADERS, R_DATA, R_JSON, R_STREAM,
    R_MAX_CONTENT_LENGTH, R_MAX_FORM_MEMORY_SIZE, R_MAX_FORM_PARTS, R_CONTENT_LENGTH, R_COUNT
};
static const char *request_slots[R_COUNT] = {
    "environ", "options", "method", "path", "url_rule", "view_args", "routing_exception",
    "_args", "_form", "_files", "_cookies", "_headers", "_data", "_json", "_stream",
    "_max_content_length", "_max_form_memory_size", "_max_form_parts", "_content_length",
};
static Py_ssize_t request_offsets[R_COUNT];
static PyTypeObject *request_type = NULL;
static PyObject *upper_methods = NULL;
static PyObject *init_fallback = NULL;
static PyObject *s_request_method, *s_path_info, *s_slash;

PyDoc_STRVAR(configure_request_doc,
"configure_request(request_class, upper_methods, fallback, /)\n--\n\n"
"Read the slot offsets of request_class (a class with __slots__), and share\n"
"request.UPPER_METHODS and the Python __init__ (fallback) with init_method.");

static PyObject *
configure_request(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyType_Check(args[0]) || !PyDict_CheckExact(args[1])
        || !PyCallable_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_request() takes a class, a dict and a function");
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)args[0];
    Py_ssize_t offsets[R_COUNT];
    if (read_offsets(type, request_slots, R_COUNT, offsets) < 0) {
        return NULL;
    }
    memcpy(request_offsets, offsets, sizeof(offsets));
    Py_INCREF(type);
    Py_XSETREF(request_type, type);
    Py_INCREF(args[1]);
    Py_XSETREF(upper_methods, args[1]);
    Py_INCREF(args[2]);
    Py_XSETREF(init_fallback, args[2]);
    Py_RETURN_NONE;
}

static void
set_slot(PyObject *self, int slot, PyObject *value)
{
    set_at(self, request_offsets[slot], value);
}

/* Request.__init__(self, environ, options=None) for the usual request: the Request
 * class itself, a dict environ with a known method and an ASCII PATH_INFO
 * starting with one "/" (or empty). 1 if done, 0 if declined, -1 on error. */
static int
init_request_core(PyObject *self, PyObject *environ, PyObject *options)
{
    if (request_type == NULL || Py_TYPE(self) != request_type || !PyDict_CheckExact(environ)
        || options == Py_None) {
        return 0;
    }
    PyObject *raw_method = PyDict_GetItemWithError(environ, s_request_method);
    if (raw_method == NULL || !PyUnicode_CheckExact(raw_method)) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *method = PyDict_GetItemWithError(upper_methods, raw_method);
    if (method == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *path = PyDict_GetItemWithError(environ, s_path_info);
    if (path == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        path = s_slash;
    }
    else if (!PyUnicode_CheckExact(path) || !PyUnicode_IS_ASCII(path)) {
        return 0;
    }
    else if (PyUnicode_GET_LENGTH(path) == 0) {
        path = s_slash;
    }
    else {
        /* "/" + path.lstrip("/") is path itself when it starts with exactly one "/". */
        const char *text = (const char *)PyUnicode_DATA(path);
        if (text[0] != '/' || (PyUnicode_GET_LENGTH(path) > 1 && text[1] == '/')) {
            return 0;
        }
    }
    set_slot(self, R_ENVIRON, environ);
    set_slot(self, R_OPTIONS, options);
    set_slot(self, R_METHOD, method);
    set_slot(self, R_PATH, path);
    for (int slot = R_URL_RULE; slot < R_CONTENT_LENGTH; slot++) {
        set_slot(self, slot, Py_None);
    }
    set_slot(self, R_CONTENT_LENGTH, Py_False);
    return 1;
}

static PyObject *
request_init(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && (nargs == 1 || nargs == 2)) {
        /* Without options: the Python method, which gives the defaults. */
        int done = init_request_core(self, args[0], nargs == 2 ? args[1] : Py_None);
        if (done < 0) {
            return NULL;
        }
        if (done) {
            Py_RETURN_NONE;
        }
    }
    /* Everything else, keyword arguments included, as the Python method does it. */
    return call_with_self(init_fallback, self, args, nargs, kwnames);
}

static PyMethodDef request_init_def = {
    "__init__", (PyCFunction)(void (*)(void))request_init, METH_FASTCALL | METH_KEYWORDS,
    "__init__($self, environ, app=None, /)\n--\n\n"
    "Read the method and path of a WSGI environ; everything else is lazy.",
};

/* ASGIRequest.__init__(self, scope, receive, options) for the usual scope, the same
 * way: the ASGIRequest class itself, a dict scope with a known method, no
 * root_path, a path starting with one "/" (or empty) and a list of (name, value)
 * tuples with each name once. Its own slots are read by configure_asgi_request();
 * the inherited ones are Request's (its `environ` is a property over a slot of
 * its own, built on first use, so the environ slot is not set). */
enum { A_SCOPE, A_RECEIVE, A_BODY, A_LAZY_ENVIRON, A_RAW_HEADERS, A_COUNT };
static const char *asgi_slots[A_COUNT] = {
    "scope", "_receive", "_body", "_lazy_environ", "_raw_headers",
};
static Py_ssize_t asgi_offsets[A_COUNT];
static PyTypeObject *asgi_type = NULL;
static PyObject *asgi_fallback = NULL;
static PyObject *s_method, *s_path, *s_root_path, *s_headers_key;

PyDoc_STRVAR(configure_asgi_request_doc,
"configure_asgi_request(asgi_request_class, fallback, /)\n--\n\n"
"Read the offsets of asgi_request_class's own slots (a subclass of the class\n"
"given to configure_request) and keep its Python __init__ as the fallback.");

static PyObject *
configure_asgi_request(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])
        || request_type == NULL
        || !PyType_IsSubtype((PyTypeObject *)args[0], request_type)) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_asgi_request() takes a subclass of the request class"
                        " and a function");
        return NULL;
    }
    Py_ssize_t offsets[A_COUNT];
    if (read_offsets((PyTypeObject *)args[0], asgi_slots, A_COUNT, offsets) < 0) {
        return NULL;
    }
    memcpy(asgi_offsets, offsets, sizeof(offsets));
    Py_INCREF(args[0]);
    Py_XSETREF(asgi_type, (PyTypeObject *)args[0]);
    Py_INCREF(args[1]);
    Py_XSETREF(asgi_fallback, args[1]);
    Py_RETURN_NONE;
}

/* The path as the request keeps it, "/" + path.lstrip("/"), when that is simple:
 * a borrowed reference, or NULL to decline. */
static PyObject *
plain_path(PyObject *path)
{
    if (!PyUnicode_CheckExact(path)) {
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(path);
    if (length == 0) {
        return s_slash;
    }
    if (PyUnicode_READ_CHAR(path, 0) != '/' || (length > 1 && PyUnicode_READ_CHAR(path, 1) == '/')) {
        return NULL;
    }
    return path;
}

static int
init_asgi_core(PyObject *self, PyObject *scope, PyObject *receive, PyObject *options)
{
    if (asgi_type == NULL || Py_TYPE(self) != asgi_type || !PyDict_CheckExact(scope)
        || options == Py_None) {
        return 0;
    }
    PyObject *raw_method = PyDict_GetItemWithError(scope, s_method);
    if (raw_method == NULL || !PyUnicode_CheckExact(raw_method)) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *method = PyDict_GetItemWithError(upper_methods, raw_method);
    if (method == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *root_path = PyDict_GetItemWithError(scope, s_root_path);
    if (root_path != NULL && !(PyUnicode_CheckExact(root_path) && PyUnicode_GET_LENGTH(root_path) == 0)
        && root_path != Py_None) {
        return 0;  /* a mount point to take off the path */
    }
    PyObject *raw_path = PyDict_GetItemWithError(scope, s_path);
    PyObject *path = raw_path == NULL ? NULL : plain_path(raw_path);
    if (path == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *pairs = PyDict_GetItemWithError(scope, s_headers_key);
    if (pairs == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
    }
    else if (!PyList_CheckExact(pairs)) {
        return 0;
    }
    PyObject *headers = PyDict_New();
    if (headers == NULL) {
        return -1;
    }
    Py_ssize_t count = pairs == NULL ? 0 : PyList_GET_SIZE(pairs);
    for (Py_ssize_t index = 0; index < count; index++) {
        PyObject *pair = PyList_GET_ITEM(pairs, index);
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2
            || !PyBytes_CheckExact(PyTuple_GET_ITEM(pair, 0))) {
            Py_DECREF(headers);
            return 0;
        }
        if (PyDict_SetItem(headers, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0) {
            Py_DECREF(headers);
            return -1;
        }
    }
    if (PyDict_GET_SIZE(headers) != count) {
        Py_DECREF(headers);
        return 0;  /* a repeated header: the Python code joins the values */
    }
    set_at(self, asgi_offsets[A_SCOPE], scope);
    set_at(self, asgi_offsets[A_RECEIVE], receive);
    set_at(self, asgi_offsets[A_BODY], Py_None);
    set_at(self, asgi_offsets[A_LAZY_ENVIRON], Py_None);
    set_at(self, asgi_offsets[A_RAW_HEADERS], headers);
    Py_DECREF(headers);
    set_slot(self, R_OPTIONS, options);
    set_slot(self, R_METHOD, method);
    set_slot(self, R_PATH, path);
    for (int slot = R_URL_RULE; slot < R_CONTENT_LENGTH; slot++) {
        set_slot(self, slot, Py_None);
    }
    set_slot(self, R_CONTENT_LENGTH, Py_False);
    return 1;
}

static PyObject *
asgi_request_init(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && nargs == 3) {
        int done = init_asgi_core(self, args[0], args[1], args[2]);
        if (done < 0) {
            return NULL;
        }
        if (done) {
            Py_RETURN_NONE;
        }
    }
    return call_with_self(asgi_fallback, self, args, nargs, kwnames);
}

static PyMethodDef asgi_request_init_def = {
    "__init__", (PyCFunction)(void (*)(void))asgi_request_init, METH_FASTCALL | METH_KEYWORDS,
    "__init__($self, scope, receive, app, /)\n--\n\n"
    "Read the method, path and headers of an ASGI HTTP scope; everything else is lazy.",
};

/* RequestContext.__init__(self, app, request) for the RequestContext class itself,
 * the same way: its slots and its base AppContext's, read by configure_context(). */
enum { C_APP, C_REQUEST, C_G, C_TOKENS, C_COUNT_BASE };
static const char *context_base_slots[C_COUNT_BASE] = {"app", "request", "_g", "_tokens"};
enum { C_AFTER, C_OUTER, C_PRESERVE, C_RUN, C_COUNT_OWN };
static const char *context_own_slots[C_COUNT_OWN] = {
    "_after_request_functions", "_outer", "_preserve_in", "run_coroutine",
};
static Py_ssize_t context_base_offsets[C_COUNT_BASE];
static Py_ssize_t context_own_offsets[C_COUNT_OWN];
static PyTypeObject *context_type = NULL;
static PyObject *context_runner = NULL;
static PyObject *context_fallback = NULL;

PyDoc_STRVAR(configure_context_doc,
"configure_context(context_class, base_class, run_coroutine, fallback, /)\n--\n\n"
"Read the slot offsets of context_class and its base_class, and keep the\n"
"default coroutine runner and the Python __init__ (fallback).");

static PyObject *
configure_context(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyType_Check(args[0]) || !PyType_Check(args[1])
        || !PyType_IsSubtype((PyTypeObject *)args[0], (PyTypeObject *)args[1])
        || !PyCallable_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError,
                        "configure_context() takes a class, its base, a runner and a function");
        return NULL;
    }
    Py_ssize_t base[C_COUNT_BASE], own[C_COUNT_OWN];
    if (read_offsets((PyTypeObject *)args[1], context_base_slots, C_COUNT_BASE, base) < 0
        || read_offsets((PyTypeObject *)args[0], context_own_slots, C_COUNT_OWN, own) < 0) {
        return NULL;
    }
    memcpy(context_base_offsets, base, sizeof(base));
    memcpy(context_own_offsets, own, sizeof(own));
    Py_INCREF(args[0]);
    Py_XSETREF(context_type, (PyTypeObject *)args[0]);
    Py_INCREF(args[2]);
    Py_XSETREF(context_runner, args[2]);
    Py_INCREF(args[3]);
    Py_XSETREF(context_fallback, args[3]);
    Py_RETURN_NONE;
}

static PyObject *
context_init(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (kwnames == NULL && nargs == 2 && Py_TYPE(self) == context_type) {
        PyObject *tokens = PyList_New(0);
        PyObject *after = tokens == NULL ? NULL : PyList_New(0);
        if (after == NULL) {
            Py_XDECREF(tokens);
            return NULL;
        }
        set_at(self, context_base_offsets[C_APP], args[0]);
        set_at(self, context_base_offsets[C_REQUEST], args[1]);
        set_at(self, context_base_offsets[C_G], Py_None);
        set_at(self, context_base_offsets[C_TOKENS], tokens);
        set_at(self, context_own_offsets[C_AFTER], after);
        set_at(self, context_own_offsets[C_OUTER], Py_None);
        set_at(self, context_own_offsets[C_PRESERVE], Py_None);
        set_at(self, context_own_offsets[C_RUN], context_runner);
        Py_DECREF(tokens);
        Py_DECREF(after);
        Py_RETURN_NONE;
    }
    return call_with_self(context_fallback, self, args, nargs, kwnames);
}

static PyMethodDef context_init_def = {
    "__init__", (PyCFunction)(void (*)(void))context_init, METH_FASTCALL | METH_KEYWORDS,
    "__init__($self, app, request, /)\n--\n\nA request's context, not pushed yet.",
};

/* -- the __init__ methods --------------------------------------------------- */

PyDoc_STRVAR(init_method_doc,
"init_method(cls, /)\n--\n\n"
"The compiled __init__ method of cls, one of the classes configured by\n"
"configure_request, configure_asgi_request and configure_context: the usual\n"
"object set up in C, every other call handed to the Python __init__.");

static PyObject *
init_method(PyObject *module, PyObject *type)
{
    PyMethodDef *method = NULL;
    if (type == (PyObject *)request_type) {
        method = &request_init_def;
    }
    else if (type == (PyObject *)asgi_type) {
        method = &asgi_request_init_def;
    }
    else if (type == (PyObject *)context_type) {
        method = &context_init_def;
    }
    if (method == NULL) {
        PyErr_SetString(PyExc_TypeError, "init_method() takes a configured class");
        return NULL;
    }
    return PyDescr_NewMethod((PyTypeObject *)type, method);
}

/* -- coroutines ------------------------------------------------------------ */

PyDoc_STRVAR(run_step_doc,
"run_step(context, coroutine, /)\n--\n\n"
"One step of coroutine run in context (a contextvars.Context), as\n"
"context.run(coroutine.send, None) does: (True, its return value) when it\n"
"finished, (False, what it yielded) when it waits; its exception, if it raised.\n"
"A finished coroutine's value comes without a StopIteration to raise and catch.");

static PyObject *
run_step(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyContext_CheckExact(args[0])) {
        PyErr_SetString(PyExc_TypeError, "run_step() takes a Context and a coroutine");
        return NULL;
    }
    if (PyContext_Enter(args[0]) < 0) {
        return NULL;
    }
    PyObject *value = NULL;
    PySendResult sent = PyIter_Send(args[1], Py_None, &value);
    if (PyContext_Exit(args[0]) < 0) {
        Py_XDECREF(value);
        return NULL;
    }
    if (sent == PYGEN_ERROR) {
        return NULL;
    }
    PyObject *result = PyTuple_Pack(2, sent == PYGEN_RETURN ? Py_True : Py_False, value);
    Py_DECREF(value);
    return result;
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
    {"setitem_method", (PyCFunction)(void (*)(void))setitem_method, METH_FASTCALL,
     setitem_method_doc},
    {"configure_response", (PyCFunction)(void (*)(void))configure_response, METH_FASTCALL,
     configure_response_doc},
    {"init_text", (PyCFunction)(void (*)(void))init_text, METH_FASTCALL, init_text_doc},
    {"text_response", text_response, METH_O, text_response_doc},
    {"headers_ready", headers_ready, METH_O, headers_ready_doc},
    {"wsgi_respond", (PyCFunction)(void (*)(void))wsgi_respond, METH_FASTCALL, wsgi_respond_doc},
    {"asgi_headers", (PyCFunction)(void (*)(void))asgi_headers, METH_FASTCALL, asgi_headers_doc},
    {"asgi_messages", (PyCFunction)(void (*)(void))asgi_messages, METH_FASTCALL,
     asgi_messages_doc},
    {"json_plain", json_plain, METH_O, json_plain_doc},
    {"run_step", (PyCFunction)(void (*)(void))run_step, METH_FASTCALL, run_step_doc},
    {"configure_make_response", configure_make_response, METH_O, configure_make_response_doc},
    {"make_response", (PyCFunction)(void (*)(void))make_response, METH_FASTCALL | METH_KEYWORDS,
     make_response_doc},
    {"configure_request", (PyCFunction)(void (*)(void))configure_request, METH_FASTCALL,
     configure_request_doc},
    {"configure_asgi_request", (PyCFunction)(void (*)(void))configure_asgi_request,
     METH_FASTCALL, configure_asgi_request_doc},
    {"configure_context", (PyCFunction)(void (*)(void))configure_context, METH_FASTCALL,
     configure_context_doc},
    {"init_method", init_method, METH_O, init_method_doc},
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
    struct {
        PyObject **target;
        const char *text;
    } names[] = {
        {&request_name, "request"},
        {&s_default_status, "default_status"},
        {&s_default_mimetype, "default_mimetype"},
        {&s_automatically_set_content_length, "automatically_set_content_length"},
        {&s_status_code, "_status_code"},
        {&s_status, "_status"},
        {&s_direct_passthrough, "direct_passthrough"},
        {&s_on_close, "_on_close"},
        {&s_headers, "headers"},
        {&s_response, "response"},
        {&s_list, "_list"},
        {&s_content_type_name, "Content-Type"},
        {&s_content_length_name, "Content-Length"},
        {&s_type, "type"},
        {&s_request_method, "REQUEST_METHOD"},
        {&s_path_info, "PATH_INFO"},
        {&s_app, "app"},
        {&s_plan, "plan"},
        {&s_plain_make_response, "plain_make_response"},
        {&s_response_class, "response_class"},
        {&s_make_response, "make_response"},
        {&s_method, "method"},
        {&s_path, "path"},
        {&s_root_path, "root_path"},
        {&s_headers_key, "headers"},
        {&s_slash, "/"},
        {&s_status_key, "status"},
        {&s_body, "body"},
        {&s_more_body, "more_body"},
        {&s_start_type, "http.response.start"},
        {&s_body_type, "http.response.body"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *names[i].target = PyUnicode_InternFromString(names[i].text);
        if (*names[i].target == NULL) {
            return NULL;
        }
    }
    empty_tuple = PyTuple_New(0);
    if (empty_tuple == NULL) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    /* _compiled.py loads the module only at the version its Python code expects. */
    if (PyModule_AddIntConstant(module, "VERSION", 12) < 0) {
        Py_DECREF(module);
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
