// Shown while the checks run (each network check has a few seconds at most).
export default function DoctorLoading() {
  return (
    <>
      <h1>Launch doctor</h1>
      <p role="status" className="lede">
        Running the launch checks…
      </p>
    </>
  );
}
