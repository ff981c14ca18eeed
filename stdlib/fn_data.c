/* fn_data.c: (being written) */
