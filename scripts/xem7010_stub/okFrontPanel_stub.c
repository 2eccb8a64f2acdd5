/*
 * A STUB libokFrontPanel for scripts/check_xem7010.sh: every function of the stub header
 * okFrontPanel.h, doing nothing, so that hdl's `xem7010` feature can be linked and its tests
 * run (they generate Verilog; none talks to a board). Not Opal Kelly's library: a program
 * linked against it cannot reach a device (Construct returns NULL, everything else fails).
 */
#include "okFrontPanel.h"
#include <stddef.h>

okFrontPanel_HANDLE okFrontPanel_Construct(void) { return NULL; }
void okFrontPanel_Destruct(okFrontPanel_HANDLE hnd) { (void)hnd; }
ok_ErrorCode okFrontPanel_OpenBySerial(okFrontPanel_HANDLE hnd, const char *serial) { (void)hnd; (void)serial; return ok_Failed; }
void okFrontPanel_Close(okFrontPanel_HANDLE hnd) { (void)hnd; }
ok_BoardModel okFrontPanel_GetBoardModel(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_brdUnknown; }
void okFrontPanel_GetBoardModelString(okFrontPanel_HANDLE hnd, ok_BoardModel m, char *buf) { (void)hnd; (void)m; if (buf) buf[0] = 0; }
ok_ErrorCode okFrontPanel_LoadDefaultPLLConfiguration(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_Failed; }
void okFrontPanel_GetSerialNumber(okFrontPanel_HANDLE hnd, char *buf) { (void)hnd; if (buf) buf[0] = 0; }
void okFrontPanel_GetDeviceID(okFrontPanel_HANDLE hnd, char *buf) { (void)hnd; if (buf) buf[0] = 0; }
int okFrontPanel_GetDeviceMajorVersion(okFrontPanel_HANDLE hnd) { (void)hnd; return 0; }
int okFrontPanel_GetDeviceMinorVersion(okFrontPanel_HANDLE hnd) { (void)hnd; return 0; }
int okFrontPanel_GetAPIVersionMajor(void) { return 0; }
int okFrontPanel_GetAPIVersionMinor(void) { return 0; }
int okFrontPanel_GetAPIVersionMicro(void) { return 0; }
ok_ErrorCode okFrontPanel_SetWireInValue(okFrontPanel_HANDLE hnd, int ep, unsigned long val, unsigned long mask) { (void)hnd; (void)ep; (void)val; (void)mask; return ok_Failed; }
ok_ErrorCode okFrontPanel_UpdateWireIns(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_Failed; }
ok_ErrorCode okFrontPanel_GetWireInValue(okFrontPanel_HANDLE hnd, int epAddr, UINT32 *val) { (void)hnd; (void)epAddr; (void)val; return ok_Failed; }
ok_ErrorCode okFrontPanel_UpdateWireOuts(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_Failed; }
unsigned long okFrontPanel_GetWireOutValue(okFrontPanel_HANDLE hnd, int epAddr) { (void)hnd; (void)epAddr; return 0; }
ok_ErrorCode okFrontPanel_ConfigureFPGA(okFrontPanel_HANDLE hnd, const char *strFilename) { (void)hnd; (void)strFilename; return ok_Failed; }
ok_ErrorCode okFrontPanel_ActivateTriggerIn(okFrontPanel_HANDLE hnd, int epAddr, int bit) { (void)hnd; (void)epAddr; (void)bit; return ok_Failed; }
ok_ErrorCode okFrontPanel_UpdateTriggerOuts(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_Failed; }
Bool okFrontPanel_IsTriggered(okFrontPanel_HANDLE hnd, int epAddr, UINT32 mask) { (void)hnd; (void)epAddr; (void)mask; return 0; }
long okFrontPanel_WriteToPipeIn(okFrontPanel_HANDLE hnd, int epAddr, long length, unsigned char *data) { (void)hnd; (void)epAddr; (void)length; (void)data; return ok_Failed; }
long okFrontPanel_WriteToBlockPipeIn(okFrontPanel_HANDLE hnd, int epAddr, int blockSize, long length, unsigned char *data) { (void)hnd; (void)epAddr; (void)blockSize; (void)length; (void)data; return ok_Failed; }
long okFrontPanel_ReadFromPipeOut(okFrontPanel_HANDLE hnd, int epAddr, long length, unsigned char *data) { (void)hnd; (void)epAddr; (void)length; (void)data; return ok_Failed; }
long okFrontPanel_ReadFromBlockPipeOut(okFrontPanel_HANDLE hnd, int epAddr, int blockSize, long length, unsigned char *data) { (void)hnd; (void)epAddr; (void)blockSize; (void)length; (void)data; return ok_Failed; }
ok_ErrorCode okFrontPanel_ResetFPGA(okFrontPanel_HANDLE hnd) { (void)hnd; return ok_Failed; }
