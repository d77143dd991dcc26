/*
 * spandsp_frames: a tiny command-line bridge to spandsp's ADSI (caller ID) code, used by the
 * callerid tests as an independent oracle. Written for this project; it only calls spandsp's API.
 *
 * Standards: class (Bellcore GR-30, Bell 202), clip (ETSI EN 300 659, V.23), jclip (NTT, V.23).
 * Field arguments are TYPE=HEXVALUE, e.g. 02=30333335 (parameter 0x02, "0335"); for an SDMF
 * message (class, type 04) use 00=HEX for the untyped body.
 *
 *   build   STD MSGTYPE [TYPE=HEX ...]  print (hex) the bytes spandsp's transmitter puts on the line
 *                                       (CLASS/CLIP: type, length, body, checksum; JCLIP: DLE framing,
 *                                       parity and CRC included)
 *   receive STD WIREHEX                 modulate WIREHEX with spandsp's FSK modulator, demodulate it
 *                                       with adsi_rx, print "MSG <hex>" per accepted message and
 *                                       "FIELD <type> <hex>" per field from adsi_next_field
 *   audio   STD MSGTYPE [TYPE=HEX ...]  write the message as adsi_tx audio: raw s16le, 8000 Hz mono
 *   modulate STD WIREHEX                write WIREHEX as FSK audio (preamble, marks, async bytes;
 *                                       spandsp's fsk_tx): raw s16le, 8000 Hz mono
 * Exit status 0 on success, 2 on bad arguments.
 */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_RATE 8000

static int parse_standard(const char *name)
{
    if (strcmp(name, "class") == 0)
        return ADSI_STANDARD_CLASS;
    if (strcmp(name, "clip") == 0)
        return ADSI_STANDARD_CLIP;
    if (strcmp(name, "jclip") == 0)
        return ADSI_STANDARD_JCLIP;
    fprintf(stderr, "unknown standard %s (class, clip, jclip)\n", name);
    exit(2);
}

static int parse_hex(const char *text, uint8_t *out, int max)
{
    int n = 0;
    size_t len = strlen(text);

    if (len % 2 != 0) {
        fprintf(stderr, "odd-length hex %s\n", text);
        exit(2);
    }
    for (size_t i = 0; i < len; i += 2) {
        unsigned int byte;
        if (n >= max || sscanf(text + i, "%2x", &byte) != 1) {
            fprintf(stderr, "bad or too long hex %s\n", text);
            exit(2);
        }
        out[n++] = (uint8_t) byte;
    }
    return n;
}

static void print_hex(const char *prefix, const uint8_t *data, int len)
{
    printf("%s", prefix);
    for (int i = 0; i < len; i++)
        printf("%02x", data[i]);
}

/* Build the message with adsi_add_field, then let adsi_tx_put_message frame it. */
static adsi_tx_state_t *build(int standard, int argc, char **argv)
{
    uint8_t msg[256];
    uint8_t body[256];
    int len;
    adsi_tx_state_t *tx = adsi_tx_init(NULL, standard);

    len = adsi_add_field(tx, msg, -1, (uint8_t) strtol(argv[0], NULL, 16), NULL, 0);
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) {
            fprintf(stderr, "field %s is not TYPE=HEX\n", argv[i]);
            exit(2);
        }
        *eq = '\0';
        int body_len = parse_hex(eq + 1, body, 255);
        if (len + body_len + 8 > (int) sizeof(msg)) {
            fprintf(stderr, "message too long\n");
            exit(2);
        }
        len = adsi_add_field(tx, msg, len, (uint8_t) strtol(argv[i], NULL, 16), body, body_len);
    }
    if (adsi_tx_put_message(tx, msg, len) <= 0) {
        fprintf(stderr, "adsi_tx_put_message refused the message\n");
        exit(2);
    }
    return tx;
}

static void write_audio(int (*gen)(void *, int16_t *, int), void *state)
{
    int16_t amp[160];
    int n;
    int silence_blocks = 0;

    /* Lead-in silence so a receiver starts from a quiet line. */
    memset(amp, 0, sizeof(amp));
    for (int i = 0; i < 10; i++)
        fwrite(amp, sizeof(int16_t), 160, stdout);
    while ((n = gen(state, amp, 160)) > 0) {
        fwrite(amp, sizeof(int16_t), (size_t) n, stdout);
        if (n < 160)
            break;
    }
    memset(amp, 0, sizeof(amp));
    for (silence_blocks = 0; silence_blocks < 10; silence_blocks++)
        fwrite(amp, sizeof(int16_t), 160, stdout);
}

static int adsi_gen(void *state, int16_t *amp, int len)
{
    return adsi_tx((adsi_tx_state_t *) state, amp, len);
}

/* A bit source for fsk_tx that sends arbitrary wire bytes the way adsi_tx would. */
typedef struct {
    uint8_t wire[512];
    int wire_len;
    int preamble_bits;
    int mark_bits;
    int stop_bits;
    int bit_no;
    int byte_no;
    int bit_pos;
    int tail_bits;
} bit_source_t;

static int source_get_bit(void *user_data)
{
    bit_source_t *s = (bit_source_t *) user_data;

    if (s->bit_no < s->preamble_bits)
        return s->bit_no++ & 1;
    if (s->bit_no < s->preamble_bits + s->mark_bits) {
        s->bit_no++;
        return 1;
    }
    if (s->byte_no < s->wire_len) {
        int bit;
        if (s->bit_pos == 0)
            bit = 0;
        else if (s->bit_pos <= 8)
            bit = (s->wire[s->byte_no] >> (s->bit_pos - 1)) & 1;
        else
            bit = 1;
        if (++s->bit_pos >= 9 + s->stop_bits) {
            s->bit_pos = 0;
            s->byte_no++;
        }
        return bit;
    }
    if (s->tail_bits-- > 0)
        return 1;
    return SIG_STATUS_END_OF_DATA;
}

typedef struct {
    fsk_tx_state_t *fsk;
} fsk_gen_t;

static int fsk_gen(void *state, int16_t *amp, int len)
{
    return fsk_tx(((fsk_gen_t *) state)->fsk, amp, len);
}

static fsk_tx_state_t *modulator(int standard, const char *hex, bit_source_t *src)
{
    memset(src, 0, sizeof(*src));
    src->wire_len = parse_hex(hex, src->wire, (int) sizeof(src->wire));
    src->preamble_bits = standard == ADSI_STANDARD_JCLIP ? 0 : 300;
    src->mark_bits = standard == ADSI_STANDARD_JCLIP ? 75 : 80;
    src->stop_bits = standard == ADSI_STANDARD_JCLIP ? 4 : 1;
    src->tail_bits = 10;
    return fsk_tx_init(NULL, &preset_fsk_specs[standard == ADSI_STANDARD_CLASS ? FSK_BELL202 : FSK_V23CH1],
                       source_get_bit, src);
}

static adsi_rx_state_t *receiver;

static void put_msg(void *user_data, const uint8_t *msg, int len)
{
    int pos = -1;
    uint8_t field_type;
    const uint8_t *field_body;
    int field_len;

    (void) user_data;
    print_hex("MSG ", msg, len);
    printf("\n");
    for (;;) {
        pos = adsi_next_field(receiver, msg, len, pos, &field_type, &field_body, &field_len);
        if (pos <= 0)
            break;
        printf("FIELD %02x ", field_type);
        if (field_body != NULL && field_len > 0)
            print_hex("", field_body, field_len);
        else
            printf("-");
        printf("\n");
    }
    if (pos == -2)
        printf("CORRUPT\n");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s build|audio STD MSGTYPE [TYPE=HEX...] | receive|modulate STD WIREHEX\n", argv[0]);
        return 2;
    }
    int standard = parse_standard(argv[2]);
    if (strcmp(argv[1], "build") == 0) {
        adsi_tx_state_t *tx = build(standard, argc - 3, argv + 3);
        print_hex("", tx->msg, tx->msg_len);
        printf("\n");
        return 0;
    }
    if (strcmp(argv[1], "audio") == 0) {
        adsi_tx_state_t *tx = build(standard, argc - 3, argv + 3);
        write_audio(adsi_gen, tx);
        return 0;
    }
    if (strcmp(argv[1], "modulate") == 0 || strcmp(argv[1], "receive") == 0) {
        bit_source_t src;
        fsk_gen_t gen;
        gen.fsk = modulator(standard, argv[3], &src);
        if (strcmp(argv[1], "modulate") == 0) {
            write_audio(fsk_gen, &gen);
            return 0;
        }
        receiver = adsi_rx_init(NULL, standard, put_msg, NULL);
        int16_t amp[160];
        int n;
        memset(amp, 0, sizeof(amp));
        adsi_rx(receiver, amp, 160);
        while ((n = fsk_tx(gen.fsk, amp, 160)) > 0) {
            adsi_rx(receiver, amp, n);
            if (n < 160)
                break;
        }
        memset(amp, 0, sizeof(amp));
        for (int i = 0; i < 10; i++)
            adsi_rx(receiver, amp, 160);
        return 0;
    }
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
