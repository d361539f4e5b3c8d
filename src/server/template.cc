#include "server/template.h"
