/* fn_math.c: (being written) */
