#ifndef SOFTPROMPT_CBLAS_SHIM_H
#define SOFTPROMPT_CBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h; repeated here so the shim documents what we use. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#endif
