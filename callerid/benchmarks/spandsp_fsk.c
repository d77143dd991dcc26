/*
 * spandsp_fsk: a small bridge to spandsp's caller-ID FSK modem, used as an independent
 * oracle by the FSK tests and by `callerid bench fsk`. It is compiled at run time with
 *     cc -O2 -o spandsp_fsk spandsp_fsk.c -lspandsp -lm
 * (Debian: libspandsp-dev). Nothing in the appliance needs it.
 *
 * Usage:
 *   spandsp_fsk tx STANDARD   stdin: one message a line, in hex, as adsi_tx_put_message() takes
 *                             it (type, length, body; spandsp adds the checksum, or for jclip the
 *                             DLE framing, parity and CRC). stdout: for each message a record
 *                             <uint32 LE sample count><int16 LE samples at 8000 Hz>.
 *   spandsp_fsk rx STANDARD   stdin: records as tx writes them. stdout: one line per record with
 *                             every message adsi_rx() delivered, in hex, separated by spaces
 *                             (an empty line when it found none).
 * STANDARD: class (Bell 202, Bellcore), clip (V.23, ETSI), jclip (V.23, NTT).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#define BLOCK 160
#define MAX_SAMPLES (8000 * 600) /* ten minutes: a long real recording in one piece */

static int parse_standard(const char *name)
{
    if (strcmp(name, "class") == 0)
        return ADSI_STANDARD_CLASS;
    if (strcmp(name, "clip") == 0)
        return ADSI_STANDARD_CLIP;
    if (strcmp(name, "jclip") == 0)
        return ADSI_STANDARD_JCLIP;
    return -1;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int run_tx(int standard)
{
    static char line[4096];
    static int16_t audio[MAX_SAMPLES];
    uint8_t msg[1024];

    while (fgets(line, sizeof(line), stdin)) {
        int len = 0;
        for (int i = 0; line[i] && line[i + 1]; i += 2) {
            int hi = hex_value(line[i]);
            int lo = hex_value(line[i + 1]);
            if (hi < 0 || lo < 0)
                break;
            if (len >= (int) sizeof(msg))
                return 3;
            msg[len++] = (uint8_t) (hi * 16 + lo);
        }
        adsi_tx_state_t *tx = adsi_tx_init(NULL, standard);
        if (tx == NULL || len < 2 || adsi_tx_put_message(tx, msg, len) <= 0) {
            fprintf(stderr, "spandsp_fsk: cannot send message of %d bytes\n", len);
            return 3;
        }
        uint32_t total = 0;
        for (;;) {
            if (total + BLOCK > MAX_SAMPLES)
                break;
            int n = adsi_tx(tx, audio + total, BLOCK);
            total += (uint32_t) n;
            if (n < BLOCK)
                break;
        }
        adsi_tx_free(tx);
        fwrite(&total, sizeof(total), 1, stdout);
        fwrite(audio, sizeof(int16_t), total, stdout);
    }
    fflush(stdout);
    return 0;
}

static void print_msg(void *user_data, const uint8_t *msg, int len)
{
    int *count = (int *) user_data;
    if (len <= 0)
        return;
    if ((*count)++)
        putchar(' ');
    for (int i = 0; i < len; i++)
        printf("%02x", msg[i]);
}

static int run_rx(int standard)
{
    static int16_t audio[MAX_SAMPLES];
    static const int16_t silence[BLOCK];
    uint32_t total;

    while (fread(&total, sizeof(total), 1, stdin) == 1) {
        if (total > MAX_SAMPLES || fread(audio, sizeof(int16_t), total, stdin) != total) {
            fprintf(stderr, "spandsp_fsk: short or oversized record\n");
            return 3;
        }
        int count = 0;
        adsi_rx_state_t *rx = adsi_rx_init(NULL, standard, print_msg, &count);
        if (rx == NULL)
            return 3;
        for (uint32_t at = 0; at < total; at += BLOCK) {
            int n = (total - at < BLOCK) ? (int) (total - at) : BLOCK;
            adsi_rx(rx, audio + at, n);
        }
        /* A little silence lets the receiver finish a message that ends the record. */
        for (int i = 0; i < 10; i++)
            adsi_rx(rx, silence, BLOCK);
        adsi_rx_free(rx);
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int standard;

    if (argc != 3 || (standard = parse_standard(argv[2])) < 0) {
        fprintf(stderr, "usage: spandsp_fsk tx|rx class|clip|jclip\n");
        return 2;
    }
    if (strcmp(argv[1], "tx") == 0)
        return run_tx(standard);
    if (strcmp(argv[1], "rx") == 0)
        return run_rx(standard);
    fprintf(stderr, "usage: spandsp_fsk tx|rx class|clip|jclip\n");
    return 2;
}
