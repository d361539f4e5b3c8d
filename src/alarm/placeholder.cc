#include "alarm/alarm.h"
