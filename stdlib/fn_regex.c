/* fn_regex.c: (being written) */
