/* value.c: (being written) */
