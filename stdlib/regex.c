/* regex.c: (being written) */
