//! The NHS number: ten digits, the last a Modulus 11 check digit.

use std::fmt;
use std::str::FromStr;

/// A valid NHS number. Construct it by parsing; an invalid number cannot exist.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error("an NHS number has 10 digits; '{input}' has {digits}")]
    WrongLength { input: String, digits: usize },
    #[error(
        "an NHS number is 10 digits (spaces allowed, as in 943 476 5919); '{input}' has other characters"
    )]
    NotDigits { input: String },
    #[error("'{input}' is not a valid NHS number: its check digit would be 10, which no NHS number has")]
    CheckDigitTen { input: String },
    #[error(
        "'{input}' is not a valid NHS number: the check digit should be {expected}, not {found} (mistyped?)"
    )]
    CheckDigitMismatch { input: String, expected: u8, found: u8 },
    #[error(
        "'{input}' is not an NHS number that is ever issued (every digit the same, or 0123456789): it passes the check digit by chance, so it is a placeholder or a slip"
    )]
    NeverIssued { input: String },
}

/// Numbers that pass Modulus 11 but are never issued: ten equal digits (each passes, as
/// 54 times any digit leaves the right remainder) and the keyboard run 0123456789.
fn never_issued(digits: &[u8; 10]) -> bool {
    digits.iter().all(|d| *d == digits[0]) || *digits == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
}

/// The Modulus 11 check digit for the first nine digits, or `None` when it would be 10.
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine.iter().zip((2..=10u32).rev()).map(|(&d, w)| u32::from(d) * w).sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

impl NhsNumber {
    /// The ten digits with no spaces, as stored and as FHIR wants them.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Builds a valid number from nine leading digits by appending the check digit.
    /// Returns `None` for the one in eleven prefixes whose check digit would be 10, and for
    /// the numbers that are never issued.
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        if first_nine.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first_nine)?;
        let mut all = [0u8; 10];
        all[..9].copy_from_slice(&first_nine);
        all[9] = check;
        (!never_issued(&all)).then_some(Self(all))
    }

    /// True for numbers in the 999 range, which is reserved for testing and fictional data.
    pub fn is_test_range(&self) -> bool {
        self.0[..3] == [9, 9, 9]
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(NhsNumberError::NotDigits { input: input.to_owned() });
        }
        if compact.len() != 10 {
            return Err(NhsNumberError::WrongLength { input: input.to_owned(), digits: compact.len() });
        }
        let mut digits = [0u8; 10];
        for (slot, b) in digits.iter_mut().zip(compact.bytes()) {
            *slot = b - b'0';
        }
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&digits[..9]);
        match check_digit(&first_nine) {
            None => Err(NhsNumberError::CheckDigitTen { input: input.to_owned() }),
            Some(expected) if expected != digits[9] => Err(NhsNumberError::CheckDigitMismatch {
                input: input.to_owned(),
                expected,
                found: digits[9],
            }),
            Some(_) if never_issued(&digits) => Err(NhsNumberError::NeverIssued { input: input.to_owned() }),
            Some(_) => Ok(Self(digits)),
        }
    }
}

/// Displays as clinicians read it: `943 476 5919`.
impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NhsNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_example_is_valid_and_formats_in_three_groups() {
        let n: NhsNumber = "9434765919".parse().unwrap();
        assert_eq!(n.to_string(), "943 476 5919");
        assert_eq!(n.digits(), "9434765919");
        assert_eq!("943 476 5919".parse::<NhsNumber>().unwrap(), n);
    }

    #[test]
    fn check_digit_table() {
        // (input, expected outcome): hand-worked with weights 10..2.
        // 943476591: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 % 11 = 2; 11-2 = 9.
        assert_eq!(check_digit(&[9, 4, 3, 4, 7, 6, 5, 9, 1]), Some(9));
        // Sum divisible by 11 -> check 11 -> 0. 000000000: sum 0 -> 11 -> 0.
        assert_eq!(check_digit(&[0; 9]), Some(0));
        // Remainder 1 -> check 10 -> invalid. 000000001: sum 2 -> rem 2 -> 9; try 000000006:
        // 6*2 = 12 -> rem 1 -> check 10.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 6]), None);
        // Remainder 10 -> check 1. 000000005: 10 -> rem 10 -> 1.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 5]), Some(1));
    }

    #[test]
    fn rejections_say_what_is_wrong() {
        assert!(matches!(
            "943476591".parse::<NhsNumber>(),
            Err(NhsNumberError::WrongLength { digits: 9, .. })
        ));
        assert!(matches!(
            "94347659190".parse::<NhsNumber>(),
            Err(NhsNumberError::WrongLength { digits: 11, .. })
        ));
        assert!(matches!("943-476-5919".parse::<NhsNumber>(), Err(NhsNumberError::NotDigits { .. })));
        assert!(matches!("".parse::<NhsNumber>(), Err(NhsNumberError::WrongLength { digits: 0, .. })));
        assert!(matches!(
            "9434765918".parse::<NhsNumber>(),
            Err(NhsNumberError::CheckDigitMismatch { expected: 9, found: 8, .. })
        ));
        assert!(matches!("0000000060".parse::<NhsNumber>(), Err(NhsNumberError::CheckDigitTen { .. })));
        let msg = "9434765918".parse::<NhsNumber>().unwrap_err().to_string();
        assert!(msg.contains("should be 9"), "{msg}");
    }

    #[test]
    fn check_of_eleven_becomes_zero() {
        // A 999 prefix whose weighted sum divides by 11 has a check of 11, written 0.
        let n = (0..100u8)
            .map(|i| [9, 9, 9, 0, 0, 0, 0, i / 10, i % 10])
            .find(|d| d.iter().zip((2..=10u32).rev()).map(|(&x, w)| u32::from(x) * w).sum::<u32>() % 11 == 0)
            .and_then(NhsNumber::from_first_nine)
            .unwrap();
        assert!(n.digits().ends_with('0'), "{n}");
        assert_eq!(n.digits().parse::<NhsNumber>().unwrap(), n);
    }

    #[test]
    fn numbers_never_issued_are_refused_though_their_check_digit_passes() {
        for d in 0..=9u8 {
            let repeated: String = std::iter::repeat_n(char::from(b'0' + d), 10).collect();
            let nine: [u8; 9] = [d; 9];
            assert_eq!(check_digit(&nine), Some(d), "{repeated} passes Modulus 11");
            assert!(
                matches!(repeated.parse::<NhsNumber>(), Err(NhsNumberError::NeverIssued { .. })),
                "{repeated} must be refused"
            );
            assert_eq!(NhsNumber::from_first_nine(nine), None);
        }
        assert_eq!(check_digit(&[0, 1, 2, 3, 4, 5, 6, 7, 8]), Some(9));
        let err = "012 345 6789".parse::<NhsNumber>().unwrap_err();
        assert!(matches!(err, NhsNumberError::NeverIssued { .. }), "{err}");
        assert!(err.to_string().contains("never issued") || err.to_string().contains("not an NHS number"));
    }

    #[test]
    fn generated_numbers_round_trip() {
        let n = NhsNumber::from_first_nine([9, 9, 9, 0, 0, 0, 0, 0, 1]).unwrap();
        assert!(n.is_test_range());
        assert_eq!(n.digits().parse::<NhsNumber>().unwrap(), n);
    }

    proptest::proptest! {
        #[test]
        fn any_single_digit_change_is_caught(prefix in proptest::array::uniform9(0u8..10), pos in 0usize..10, delta in 1u8..10) {
            if let Some(n) = NhsNumber::from_first_nine(prefix) {
                let mut d: Vec<u8> = n.digits().bytes().map(|b| b - b'0').collect();
                d[pos] = (d[pos] + delta) % 10;
                let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                proptest::prop_assert!(s.parse::<NhsNumber>().is_err());
            }
        }
    }
}
