"""The manual's error-code table (last section of the manual), in English.

The simulator keeps its own copy of the codes it answers with; this table is the
client's, used to explain a failure to a person.
"""

ERRNO_MEANINGS: dict[str, str] = {
    "10002": "XML payloads are not supported",
    "10003": "the API does not support this request",
    "10004": "some parameters are empty",
    "10006": "the extension does not exist",
    "10007": "the call does not exist",
    "10008": "the extension is not idle",
    "10009": "the extension may not be monitored",
    "10010": "the monitor mode does not match",
    "10011": "the called number does not exist",
    "10012": "the IVR does not exist",
    "10013": "the queue does not exist",
    "10014": "the ring group does not exist",
    "10015": "the call was not bridged",
    "10016": "accepting or refusing the inbound call timed out",
    "10017": "configuring the extension failed",
    "10018": "configuring the IVR failed",
    "10019": "configuring the queue failed",
    "10020": "adding or changing the wake-up call failed",
    "10021": "the extension's wake-up call does not exist",
    "10022": "the extension's wake-up call already exists",
    "10023": "the prompt file does not exist",
    "10024": "the extension has no permission to call out",
    "10025": "apply too frequent: the PBX refused a burst of configuration writes",
    "10028": "the number must not be empty",
    "10031": "the outbound number is not valid",
    "10032": "wrong password",
    "10033": "configuring the extension's outbound routes failed",
    "20000": "only JSON is supported",
    "20001": "only POST requests are supported",
    "20002": "login failed: this IP address is locked",
    "20003": "login failed: invalid username or password",
    "20004": "no such token",
    "20005": "the token is empty",
    "20006": "the token has expired",
    "20007": "the data is empty",
    "20008": "port error",
    "20009": "the request number is empty",
    "20010": "the request could not be handed to the API service (apisrv)",
    "20011": "configuring the heartbeat request failed",
    "20012": "the recording's random string is not valid",
    "20013": "verification code error",
    "20014": "the recording does not exist",
    "20015": "allowedip error",
    "20016": "the voicemail status parameter is wrong",
    "20017": "the voicemail's random string is not valid",
    "20018": "the prompt file does not exist",
    "20019": "the CDR time format is wrong",
    "20020": "the CDR random string is not valid",
    "20021": "the CDR does not exist",
    "30001": "the PBX could not allocate memory for the JSON",
    "30003": "the API service (apisrv) is not running",
}


def errno_meaning(errno: str) -> str:
    return ERRNO_MEANINGS.get(errno, "an error code the manual does not list")
