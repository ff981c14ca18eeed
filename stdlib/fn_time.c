/* fn_time.c: (being written) */
