/*
 * wire.c - a walk over every field of a decoded protobuf message, by its
 * descriptor: the checks that hold for every field of a kind (UTF-8 in
 * `string` fields, ranges of numbers) are written once here, not once per
 * request, and a field added to runnel.proto is covered without more code.
 */
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "log.h"
#include "runneld.h"

/* The size of one element of a field's type in a decoded message. */
static size_t
wire_type_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* Append "name" or "name[j]", after a dot unless it comes first, to the
 * path of len bytes (cut to fit size); the bytes appended.  By hand, not
 * by snprintf: a walk names every value it visits, and session_send()
 * walks every reply. */
static size_t
wire_path_put(char *path, size_t size, size_t len, const char *name,
    int repeated, size_t j)
{
	char	*p = path + len, *end = path + size - 1, num[24];
	size_t	 n, k = 0;

	if (len > 0 && p < end)
		*p++ = '.';
	n = strlen(name);
	if (n > (size_t)(end - p))
		n = (size_t)(end - p);
	memcpy(p, name, n);
	p += n;
	if (repeated) {
		num[k++] = ']';
		do {
			num[k++] = (char)('0' + j % 10);
			j /= 10;
		} while (j > 0);
		num[k++] = '[';
		while (k > 0 && p < end)
			*p++ = num[--k];
	}
	*p = '\0';
	return (size_t)(p - (path + len));
}

/* Walk m with its path so far in path[0, len). */
static int
wire_walk_at(ProtobufCMessage *m, char *path, size_t size, size_t len,
    wire_field_cb cb, void *arg)
{
	const ProtobufCMessageDescriptor *md = m->descriptor;
	const ProtobufCFieldDescriptor	*f;
	unsigned char			*base = (unsigned char *)m, *v;
	size_t				 i, j, n, esz, plen;
	int				 r;

	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		v = base + f->offset;
		n = 1;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(size_t *)(base + f->quantifier_offset);
			v = *(unsigned char **)v;
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(uint32_t *)(base + f->quantifier_offset) !=
			    f->id)
				continue;
		}
		esz = wire_type_size(f->type);
		for (j = 0; j < n; j++, v += esz) {
			plen = wire_path_put(path, size, len, f->name,
			    f->label == PROTOBUF_C_LABEL_REPEATED, j);
			if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
				if (*(ProtobufCMessage **)v == NULL)
					continue;
				r = wire_walk_at(*(ProtobufCMessage **)v, path,
				    size, len + plen, cb, arg);
			} else
				r = cb(md, f, v, path, arg);
			path[len] = '\0';
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* Call cb for every value of every field of m and of the messages in it
 * (each element of a repeated field, only the set member of a oneof),
 * with its path such as "submit.spec.labels[2].key"; stop at and return
 * the first non-zero the callback returns. */
int
wire_walk(ProtobufCMessage *m, wire_field_cb cb, void *arg)
{
	char	path[WIRE_PATH_MAX];

	path[0] = '\0';
	return wire_walk_at(m, path, sizeof path, 0, cb, arg);
}

/* For a wire_walk callback: an escaped copy (\xHH) of a `string` value
 * that is not UTF-8, or NULL if the field is no string or the text is
 * valid. */
char *
wire_string_escape(const ProtobufCFieldDescriptor *f, const void *value)
{
	const char	*s;
	char		*esc;

	/* value is a char * only for a string: read it as one after. */
	if (f->type != PROTOBUF_C_TYPE_STRING)
		return NULL;
	s = *(char *const *)value;
	if (s == NULL || utf8_valid(s, strlen(s)))
		return NULL;
	if ((esc = utf8_escape(s, strlen(s))) == NULL)
		fatal("utf8_escape");
	return esc;
}
