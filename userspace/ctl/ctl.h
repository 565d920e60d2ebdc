/* SPDX-License-Identifier: GPL-2.0 */
/* What nrtlsctl's commands share. */
#ifndef NRTLS_CTL_H
#define NRTLS_CTL_H

/* Print @s as a JSON string, quotes included. */
void json_str(const char *s);
/* nrtlsctl rx ...: @argv is what follows "rx"; returns the exit status. */
int ctl_rx(int argc, char **argv);

#endif /* NRTLS_CTL_H */
