/*
 * kmock.c: a Kafka cluster for the tests -- librdkafka's mock cluster,
 * three brokers on loopback that speak the real protocol -- kept alive
 * while the test needs it.
 *
 *	kmock TOPIC:PARTITIONS ...
 *
 * creates the topics, prints the bootstrap servers ("127.0.0.1:P,...")
 * on a line, then reads commands on standard input, one a line, and
 * answers each with "done" when it has taken effect:
 *
 *	missing TOPIC	the topic's metadata says it does not exist
 *	create TOPIC N	it exists, with N partitions
 *	down / up	every broker stops answering / answers again
 *
 * At the end of its input it takes the cluster down and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define BROKERS 3

int
main(int argc, char **argv)
{
	char err[512], line[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;

	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (rk == NULL) {
		fprintf(stderr, "kmock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, BROKERS);
	if (mc == NULL) {
		fprintf(stderr, "kmock: no mock cluster\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		char *colon = strchr(argv[i], ':');
		if (colon == NULL) {
			fprintf(stderr, "kmock: %s: not TOPIC:PARTITIONS\n", argv[i]);
			return 2;
		}
		*colon = '\0';
		rd_kafka_mock_topic_create(mc, argv[i], atoi(colon + 1), 1);
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof line, stdin) != NULL) {
		char topic[256];
		int n;

		if (sscanf(line, "missing %255s", topic) == 1) {
			rd_kafka_mock_topic_set_error(mc, topic,
			    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
		} else if (sscanf(line, "create %255s %d", topic, &n) == 2) {
			rd_kafka_mock_topic_set_error(mc, topic, RD_KAFKA_RESP_ERR_NO_ERROR);
			rd_kafka_mock_topic_create(mc, topic, n, 1);
		} else if (strncmp(line, "down", 4) == 0 || strncmp(line, "up", 2) == 0) {
			for (int b = 1; b <= BROKERS; b++) {
				if (line[0] == 'd')
					rd_kafka_mock_broker_set_down(mc, b);
				else
					rd_kafka_mock_broker_set_up(mc, b);
			}
		} else {
			fprintf(stderr, "kmock: unknown command: %s", line);
			continue;
		}
		printf("done\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
