/* fn_string.c: (being written) */
